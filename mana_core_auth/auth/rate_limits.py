"""Fixed-window counters in PostgreSQL, so a limit holds across every worker
and replica.

An attempt is counted before it is judged (`count_attempt`): concurrent
attempts cannot all slip in under the limit. Attempts that should not count,
such as a successful login, are handed back with `forgive`. So a limit also
caps attempts in flight at once: a burst of more logins to one account than
its limit is partly refused even if every password is right.

Rows stay after their window ends and start over at the next hit.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from mana_core_auth.auth.client_ip import ClientInfo, rate_limit_address
from mana_core_auth.errors import TooManyRequests
from mana_core_auth.observability import metrics
from mana_core_auth.settings import Settings
from mana_core_auth.sql import fetch


@dataclass(frozen=True)
class Limit:
    key: str
    max_hits: int
    window_seconds: int


def _email_digest(email: str) -> str:
    # Keys hold a digest: the counters must not become a list of every email
    # (or password typed into the email field) anyone tried.
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def login_account_limit(email: str, max_hits: int, window_seconds: int) -> Limit:
    return Limit(f"login:account:{_email_digest(email)}", max_hits, window_seconds)


def login_ip_limit(ip: str | None, max_hits: int, window_seconds: int) -> Limit:
    return Limit(f"login:ip:{rate_limit_address(ip)}", max_hits, window_seconds)


def login_device_limit(device_key: str, max_hits: int, window_seconds: int) -> Limit:
    """Failed logins from one known device (`known_devices`)."""
    return Limit(f"login:device:{device_key}", max_hits, window_seconds)


def email_address_limit(email: str, max_hits: int, window_seconds: int) -> Limit:
    return Limit(f"email:address:{_email_digest(email)}", max_hits, window_seconds)


def email_ip_limit(ip: str | None, max_hits: int, window_seconds: int) -> Limit:
    return Limit(f"email:ip:{rate_limit_address(ip)}", max_hits, window_seconds)


def login_limits(email: str, client: ClientInfo, settings: Settings) -> list[Limit]:
    """What failed logins, and every other wrong password or code, count
    against: the account and the client IP."""
    window = settings.rate_limit_login_window_seconds
    return [
        login_account_limit(
            email, settings.rate_limit_login_failures_per_account, window
        ),
        login_ip_limit(
            client.ip_address, settings.rate_limit_login_failures_per_ip, window
        ),
    ]


def register_ip_limit(ip: str | None, max_hits: int, window_seconds: int) -> Limit:
    return Limit(f"register:ip:{rate_limit_address(ip)}", max_hits, window_seconds)


def count_sql(keys: str, window_seconds: str) -> str:
    """An upsert that counts one attempt against each key of the text array
    `keys` (an SQL expression), all with a window of `window_seconds`: a new
    key starts a window, an expired window starts over, otherwise the hit is
    added. The keys must come sorted, so that two requests never lock the
    same rows in opposite orders. Returns the rows `raise_if_exceeded`
    judges."""
    expired = (
        f"counter.window_started_at <= now() - make_interval(secs => {window_seconds})"
    )
    return f"""
INSERT INTO auth.rate_limit_counters AS counter (key, window_started_at, hits)
SELECT unnest({keys}), now(), 1
ON CONFLICT (key) DO UPDATE SET
    window_started_at = CASE
        WHEN {expired} THEN now() ELSE counter.window_started_at END,
    hits = CASE WHEN {expired} THEN 1 ELSE counter.hits + 1 END
RETURNING key, hits, window_started_at, now() AS now
"""


_COUNT = count_sql("$1::text[]", "$2::int")


def forgive_sql(keys_param: int) -> str:
    """An update that takes one attempt back from the keys in
    `$keys_param` (`forgiven_keys`)."""
    return f"""
UPDATE auth.rate_limit_counters SET hits = greatest(hits - 1, 0)
WHERE key = ANY(${keys_param}::text[])
"""  # noqa: S608 (a placeholder)


_FORGIVE = forgive_sql(1)


def forgiven_keys(limits: Iterable[Limit]) -> list[str]:
    return sorted(limit.key for limit in limits)


def _seconds_left(started: datetime, now: datetime, window_seconds: int) -> int:
    elapsed = (now - started).total_seconds()
    return max(1, math.ceil(window_seconds - elapsed))


def counted_keys(limits: Iterable[Limit]) -> list[str]:
    """The keys `count_sql` counts, once each and in its order."""
    return sorted({limit.key for limit in limits})


def raise_if_exceeded(rows: Iterable[Any], limits: Iterable[Limit]) -> None:
    """Judge the rows `count_sql` returned for `limits`.

    :raises TooManyRequests: if any limit is now exceeded, with the seconds
        until its window ends.
    """
    by_key = {limit.key: limit for limit in limits}
    exceeded = [
        (row, by_key[row["key"]])
        for row in rows
        if row["hits"] > by_key[row["key"]].max_hits
    ]
    if not exceeded:
        return
    metrics.rate_limited(row["key"] for row, _ in exceeded)
    wait = max(
        _seconds_left(row["window_started_at"], row["now"], limit.window_seconds)
        for row, limit in exceeded
    )
    raise TooManyRequests(wait, "Too many attempts; try again later")


async def count_attempt(*limits: Limit) -> None:
    """Count one attempt against each limit.

    :raises TooManyRequests: if any limit is now exceeded, with the seconds
        until its window ends.
    """
    rows = []
    for window, group in groupby(
        sorted(limits, key=lambda limit: limit.window_seconds),
        key=lambda limit: limit.window_seconds,
    ):
        rows += await fetch(_COUNT, counted_keys(group), window)
    raise_if_exceeded(rows, limits)


async def forgive(*limits: Limit) -> None:
    """Take back one counted attempt from each limit."""
    await fetch(_FORGIVE, forgiven_keys(limits))
