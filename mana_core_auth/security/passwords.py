"""Password hashing: argon2id for new hashes, bcrypt (the original service's)
still verified and upgraded at the next login.

Hashing takes tens of milliseconds of CPU, so it runs in a small thread pool
of its own: the event loop keeps serving other requests, and a burst of
logins queues for the cores instead of starting dozens of 19 MiB hashes at
once. The workers of one machine share its cores, and so the pool's size.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
ARGON2_MEMORY_KIB = 19_456
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1

BCRYPT_MAX_BYTES = 72


class LegacyBcryptHasher(BcryptHasher):
    """Verifies the original service's bcrypt hashes. bcrypt only ever read
    the first 72 bytes of a password (the original's library cut the rest
    silently), while the bcrypt package now refuses longer input; cut it the
    same way so such users can still log in, and get an argon2id hash."""

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        secret = password.encode() if isinstance(password, str) else password
        return super().verify(secret[:BCRYPT_MAX_BYTES], hash)


password_hash = PasswordHash(
    (
        Argon2Hasher(
            time_cost=ARGON2_TIME_COST,
            memory_cost=ARGON2_MEMORY_KIB,
            parallelism=ARGON2_PARALLELISM,
        ),
        LegacyBcryptHasher(),
    )
)


def hash_threads(cpus: int, workers: int) -> int:
    """Hash threads per worker process: together the machine's workers hash
    one password per CPU. More at once would only wait for a CPU, each
    holding its 19 MiB (2 workers of 2 threads on 2 CPUs: 38 MiB of each
    worker's peak memory)."""
    return max(1, cpus // max(1, workers))


# WEB_CONCURRENCY: the number of uvicorn workers, which the entrypoint and
# the serve command export to them (uvicorn's own default for --workers).
_pool = ThreadPoolExecutor(
    max_workers=hash_threads(
        os.cpu_count() or 2, int(os.environ.get("WEB_CONCURRENCY") or 1)
    ),
    thread_name_prefix="password-hash",
)

T = TypeVar("T")


async def _off_loop(function: partial[T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_pool, function)


@dataclass(frozen=True)
class Verification:
    valid: bool
    # A fresh argon2id hash when the stored one is bcrypt or uses other
    # parameters; store it.
    new_hash: str | None = None


async def hash_password(password: str) -> str:
    return await _off_loop(partial(password_hash.hash, password))


def _verify(password: str, stored_hash: str) -> Verification:
    try:
        valid, new_hash = password_hash.verify_and_update(password, stored_hash)
    except UnknownHashError:
        return Verification(valid=False)
    return Verification(valid=valid, new_hash=new_hash)


async def verify_password(password: str, stored_hash: str) -> Verification:
    return await _off_loop(partial(_verify, password, stored_hash))


_dummy_hash: str | None = None


async def verify_dummy_password(password: str) -> None:
    """Spend the time a real verification takes, for a login whose email has
    no account, so that the answer's timing does not tell which it was."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = await hash_password("a password no account has")
    await verify_password(password, _dummy_hash)
