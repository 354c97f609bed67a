"""Password hashing and the password policy."""

from __future__ import annotations

import asyncio
import threading

import bcrypt
import pytest
from pwdlib.hashers.argon2 import Argon2Hasher

from mana_core_auth.security import passwords
from mana_core_auth.security.password_policy import (
    common_passwords,
    is_common_password,
)

PASSWORD = "correct-horse-battery-staple-42"


async def test_new_hashes_are_argon2id_with_owasp_parameters() -> None:
    hashed = await passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (await passwords.verify_password(PASSWORD, hashed)).valid
    assert not (await passwords.verify_password(PASSWORD + "!", hashed)).valid
    assert (await passwords.verify_password(PASSWORD, hashed)).new_hash is None


async def test_hashing_runs_off_the_event_loop(monkeypatch) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []
    real_hash = passwords.password_hash.hash

    def spy(password: str) -> str:
        seen.append(threading.get_ident())
        return real_hash(password)

    monkeypatch.setattr(passwords.password_hash, "hash", spy)
    await passwords.hash_password(PASSWORD)
    assert seen and seen[0] != loop_thread


async def test_bcrypt_hashes_verify_and_are_upgraded() -> None:
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    result = await passwords.verify_password(PASSWORD, legacy)
    assert result.valid
    assert result.new_hash is not None and result.new_hash.startswith("$argon2id$")
    assert (await passwords.verify_password(PASSWORD, result.new_hash)).valid
    assert not (await passwords.verify_password("wrong-password", legacy)).valid


async def test_bcrypt_reads_only_the_first_72_bytes_as_the_original_did() -> None:
    long_password = "a-long-passphrase-" * 6  # 108 characters
    legacy = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(4)).decode()
    result = await passwords.verify_password(long_password, legacy)
    assert result.valid and result.new_hash is not None
    # The upgraded hash covers the whole password.
    assert not (
        await passwords.verify_password(long_password[:72], result.new_hash)
    ).valid


async def test_argon2_hashes_with_other_parameters_are_upgraded() -> None:
    weaker = Argon2Hasher(memory_cost=8192, time_cost=1, parallelism=1).hash(PASSWORD)
    result = await passwords.verify_password(PASSWORD, weaker)
    assert result.valid
    assert result.new_hash is not None and "m=19456,t=2,p=1" in result.new_hash


async def test_unknown_hash_formats_do_not_verify() -> None:
    for stored in ("", "plain-text", "$pbkdf2-sha256$29000$abc$def"):
        assert not (await passwords.verify_password(PASSWORD, stored)).valid


async def test_concurrent_hashes_all_complete() -> None:
    hashes = await asyncio.gather(
        *(passwords.hash_password(f"{PASSWORD}-{n}") for n in range(4))
    )
    assert len(set(hashes)) == 4


def test_the_common_list_is_a_few_thousand_entries() -> None:
    entries = common_passwords()
    assert 3000 <= len(entries) <= 10_000
    assert "123456" in entries and "password" in entries
    assert not any(entry.startswith("# ") for entry in entries)


@pytest.mark.parametrize(
    "password",
    ["password", "PASSWORD", "qwertyuiop123", "password1234", "dragon2024!!"],
)
def test_common_passwords_and_their_decorated_forms(password: str) -> None:
    assert is_common_password(password)


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "tangerine-bicycle-orbit-77", "p0!8@7#6$5%4", "Zx9#mQ2$vL8!"],
)
def test_uncommon_passwords_pass(password: str) -> None:
    assert not is_common_password(password)


def test_the_workers_of_a_machine_hash_one_password_per_cpu() -> None:
    assert passwords.hash_threads(cpus=2, workers=2) == 1
    assert passwords.hash_threads(cpus=8, workers=2) == 4
    assert passwords.hash_threads(cpus=2, workers=1) == 2
    assert passwords.hash_threads(cpus=2, workers=4) == 1
    assert passwords.hash_threads(cpus=2, workers=0) == 2
