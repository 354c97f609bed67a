"""Ended sessions pushed to every worker (auth/revocation.py): a token's
session is known live without a query, a logout on one worker is refused
by another within 100 ms, and whenever a watch cannot vouch for its set the
database answers instead."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest

from mana_core_auth.auth import principal, revocation
from mana_core_auth.auth.revocation import RevocationWatch, listening_connection
from mana_core_auth.security.tokens import AccessClaims
from mana_core_auth.settings import Settings
from tests.database import fetch
from tests.mana_core_auth.auth.support import Caller, bearer
from tests.mana_core_auth.credits.support import main_api

STALENESS_BOUND_SECONDS = 0.1
WINDOW_SECONDS = revocation.window_seconds(Settings())


def claims_of(token: str) -> AccessClaims:
    raw = jwt.decode(token, options={"verify_signature": False})
    return AccessClaims(
        user_id=uuid.UUID(raw["sub"]),
        email=raw["email"],
        role=raw["role"],
        session_id=uuid.UUID(raw["sessionId"]),
        device_id=raw.get("deviceId"),
        email_verified=raw["emailVerified"],
        expires_at=raw["exp"],
        raw=raw,
    )


async def until(condition: Callable[[], bool], seconds: float) -> float:
    """Seconds until `condition()` held; fails after `seconds`."""
    started = time.perf_counter()
    while not condition():
        elapsed = time.perf_counter() - started
        assert elapsed < seconds, f"not within {seconds} s"
        await asyncio.sleep(0.0005)
    return time.perf_counter() - started


@asynccontextmanager
async def running_watch(
    database_url: str, **overrides: Any
) -> AsyncIterator[RevocationWatch]:
    """A watch as another worker process runs it, ready: what this process
    ends (`ended_here`) it learns of by notification only."""
    watch = RevocationWatch(
        lambda: listening_connection(database_url),
        window_seconds=WINDOW_SECONDS,
        **overrides,
    )
    revocation._watches.discard(watch)
    task = asyncio.create_task(watch.run())
    try:
        await until(lambda: watch.ready, 5)
        yield watch
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def never_connects() -> asyncpg.Connection:
    raise AssertionError("not started")


async def execute(database_url: str, sql: str, *args: Any) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(sql, *args)
    finally:
        await connection.close()


def api_watch() -> RevocationWatch:
    """The watch of the app the `client` fixture calls."""
    watch: RevocationWatch = main_api().state.revocations
    return watch


async def test_the_running_service_checks_sessions_from_its_watch(
    app: Any, client: httpx.AsyncClient, caller: Caller, monkeypatch: Any
) -> None:
    """With the watch listening, validate and an authenticated route run no
    session query: the query is made to fail, and they still answer."""
    await until(lambda: api_watch().ready, 5)

    async def no_query(*args: Any) -> None:
        raise AssertionError("the session was checked in the database")

    monkeypatch.setattr(principal, "fetch_one", no_query)
    validated = await client.post(
        "/api/v1/auth/validate", json={"token": caller.access_token}
    )
    assert validated.json()["valid"] is True
    me = await client.get("/api/v1/auth/me", headers=caller.headers)
    assert me.status_code == 200, me.text


async def test_without_a_watch_the_database_answers(
    caller: Caller, monkeypatch: Any
) -> None:
    asked = []
    real = principal.fetch_one

    async def counting(*args: Any) -> Any:
        asked.append(args)
        return await real(*args)

    monkeypatch.setattr(principal, "fetch_one", counting)
    claims = claims_of(caller.access_token)
    idle = RevocationWatch(never_connects, window_seconds=WINDOW_SECONDS)
    assert idle.is_live(claims) is None
    assert await principal.session_is_live(claims, idle) is True
    assert await principal.session_is_live(claims, None) is True
    assert len(asked) == 2


async def test_logout_on_one_worker_is_refused_by_another_within_100_ms(
    client: httpx.AsyncClient, caller: Caller, database_url: str
) -> None:
    claims = claims_of(caller.access_token)
    async with running_watch(database_url) as other_worker:
        assert other_worker.is_live(claims) is True
        started = time.perf_counter()
        response = await client.post("/api/v1/auth/logout", headers=caller.headers)
        answered = time.perf_counter()
        assert response.status_code == 200
        await until(
            lambda: other_worker.is_live(claims) is False, STALENESS_BOUND_SECONDS
        )
        seen = time.perf_counter()
    print(
        f"\nlogout answered {(answered - started) * 1000:.1f} ms after it was sent; "
        f"refused by another worker {(seen - started) * 1000:.1f} ms after it was sent"
    )
    # And this worker knew at once.
    validated = await client.post(
        "/api/v1/auth/validate", json={"token": caller.access_token}
    )
    assert validated.json()["valid"] is False
    assert validated.json()["error"] == "Session has ended"


async def test_a_refresh_keeps_the_session_live(
    client: httpx.AsyncClient, caller: Caller, database_url: str
) -> None:
    claims = claims_of(caller.access_token)
    async with running_watch(database_url) as watch:
        refreshed = await client.post(
            "/api/v1/auth/refresh", json={"refreshToken": caller.refresh_token}
        )
        assert refreshed.status_code == 200, refreshed.text
        # A notification, had one been sent, arrives within the bound.
        await asyncio.sleep(STALENESS_BOUND_SECONDS)
        assert watch.is_live(claims) is True
        assert watch.is_live(claims_of(refreshed.json()["accessToken"])) is True


async def test_ends_and_returns_made_in_the_database_reach_the_watch(
    caller: Caller, database_url: str
) -> None:
    """What an operator does in the admin, or any other writer: deleting the
    user, restoring them, revoking the session, clearing the revocation,
    deleting the rows."""
    claims = claims_of(caller.access_token)
    async with running_watch(database_url) as watch:

        async def expect(live: bool) -> None:
            await until(lambda: watch.is_live(claims) is live, 1)

        await execute(
            database_url,
            "UPDATE auth.users SET deleted_at = now() WHERE id = $1",
            claims.user_id,
        )
        await expect(False)
        await execute(
            database_url,
            "UPDATE auth.users SET deleted_at = NULL WHERE id = $1",
            claims.user_id,
        )
        await expect(True)
        await execute(
            database_url,
            "UPDATE auth.sessions SET revoked_at = now() WHERE family_id = $1",
            claims.session_id,
        )
        await expect(False)
        await execute(
            database_url,
            "UPDATE auth.sessions SET revoked_at = NULL WHERE family_id = $1",
            claims.session_id,
        )
        await expect(True)
        await execute(
            database_url,
            "UPDATE auth.sessions SET expires_at = now() WHERE family_id = $1",
            claims.session_id,
        )
        await expect(False)
        await execute(
            database_url,
            "UPDATE auth.sessions SET expires_at = now() + interval '1 day' "
            "WHERE family_id = $1",
            claims.session_id,
        )
        await expect(True)
        await execute(
            database_url,
            "DELETE FROM auth.sessions WHERE family_id = $1",
            claims.session_id,
        )
        await expect(False)


async def test_a_new_watch_knows_what_ended_before_it_started(
    client: httpx.AsyncClient, database_url: str
) -> None:
    from tests.mana_core_auth.auth.support import new_caller

    ended, deleted = await new_caller(client), await new_caller(client)
    await client.post("/api/v1/auth/logout", headers=ended.headers)
    await execute(
        database_url,
        "UPDATE auth.users SET deleted_at = now() WHERE id = $1",
        uuid.UUID(deleted.id),
    )
    async with running_watch(database_url) as watch:
        assert watch.is_live(claims_of(ended.access_token)) is False
        assert watch.is_live(claims_of(deleted.access_token)) is False


async def test_a_lost_connection_falls_back_to_the_database_until_it_is_back(
    caller: Caller, database_url: str
) -> None:
    claims = claims_of(caller.access_token)
    async with running_watch(database_url) as watch:
        await execute(
            database_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'mana-core-auth-revocations' "
            "AND datname = current_database()",
        )
        await until(lambda: not watch.ready, 1)
        assert watch.is_live(claims) is None
        # Ended while nobody listened: read when it listens again.
        await execute(
            database_url,
            "UPDATE auth.sessions SET revoked_at = now() WHERE family_id = $1",
            claims.session_id,
        )
        await until(lambda: watch.ready, 5)
        assert watch.is_live(claims) is False


async def test_a_listener_that_hears_nothing_stops_vouching(
    caller: Caller, database_url: str, monkeypatch: Any
) -> None:
    """A connection that stays open but delivers no notifications (a network
    gone silent, a transaction pooler in front): its own ping does not come
    back, and the database answers until it is listening again."""
    monkeypatch.setattr(revocation, "HEARTBEAT_SECONDS", 0.05)
    monkeypatch.setattr(revocation, "PING_TIMEOUT_SECONDS", 0.2)
    async with running_watch(database_url) as watch:
        connection = watch._connection
        assert connection is not None
        await connection.remove_listener(revocation.CHANNEL, watch._on_notification)
        await until(lambda: not watch.ready, 2)
        assert watch.is_live(claims_of(caller.access_token)) is None
        await until(lambda: watch.ready, 5)


async def test_sessions_this_process_ends_are_asked_of_the_database_meanwhile(
    caller: Caller, database_url: str
) -> None:
    now = [1000.0]
    claims = claims_of(caller.access_token)
    async with running_watch(database_url, clock=lambda: now[0]) as watch:
        revocation._watches.add(watch)
        revocation.ended_here(claims.user_id)
        assert watch.is_live(claims) is None
        now[0] += revocation.RECHECK_SECONDS + 1
        assert watch.is_live(claims) is True


async def test_watched_entries_are_forgotten_after_the_window(
    caller: Caller, database_url: str
) -> None:
    now = [1000.0]
    claims = claims_of(caller.access_token)
    async with running_watch(database_url, clock=lambda: now[0]) as watch:
        await execute(
            database_url,
            "UPDATE auth.sessions SET revoked_at = now() WHERE family_id = $1",
            claims.session_id,
        )
        await until(lambda: watch.is_live(claims) is False, 1)
        now[0] += WINDOW_SECONDS + 1
        watch._forget_old()
        assert claims.session_id not in watch._families


async def test_no_access_token_outlives_its_session(
    client: httpx.AsyncClient, caller: Caller, database_url: str
) -> None:
    ends = datetime.now(UTC) + timedelta(seconds=60)
    await execute(
        database_url,
        "UPDATE auth.sessions SET expires_at = $2 WHERE user_id = $1",
        uuid.UUID(caller.id),
        ends,
    )
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": caller.refresh_token}
    )
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["expiresIn"] <= 60
    assert claims_of(body["accessToken"]).expires_at <= int(ends.timestamp())
    me = await client.get("/api/v1/auth/me", headers=bearer(body["accessToken"]))
    assert me.status_code == 200


@pytest.mark.parametrize("payload", ["", "nonsense", "family:not-a-uuid:ended", "x:y"])
async def test_a_malformed_notification_changes_nothing(
    caller: Caller, payload: str
) -> None:
    watch = RevocationWatch(never_connects, window_seconds=WINDOW_SECONDS)
    watch._apply(payload)
    assert watch._families == {} and watch._users == {}


async def test_deleting_rows_that_had_ended_sends_nothing(
    client: httpx.AsyncClient, caller: Caller, database_url: str
) -> None:
    """The cleanup deletes old revoked rows by the thousand: no worker hears of it."""
    await client.post("/api/v1/auth/logout", headers=caller.headers)
    heard: list[str] = []
    listener = await asyncpg.connect(database_url)
    try:
        await listener.add_listener(
            revocation.CHANNEL, lambda *args: heard.append(args[-1])
        )
        await execute(
            database_url,
            "DELETE FROM auth.sessions WHERE user_id = $1",
            uuid.UUID(caller.id),
        )
        await asyncio.sleep(STALENESS_BOUND_SECONDS)
    finally:
        await listener.close()
    assert heard == []


async def test_a_cancelled_watch_stops_at_once_whatever_it_was_waiting_for(
    database_url: str, monkeypatch: Any
) -> None:
    """A worker's shutdown cancels the watch; a cancellation that meets a
    heartbeat's or a ping's own timeout must not be lost."""
    monkeypatch.setattr(revocation, "HEARTBEAT_SECONDS", 0.002)
    monkeypatch.setattr(revocation, "PING_TIMEOUT_SECONDS", 0.5)
    slowest = 0.0
    for attempt in range(40):
        watch = RevocationWatch(
            lambda: listening_connection(database_url), window_seconds=WINDOW_SECONDS
        )
        task = asyncio.create_task(watch.run())
        await until(lambda watch=watch: watch.ready, 5)  # type: ignore[misc]
        await asyncio.sleep(0.001 * (attempt % 7))
        started = time.perf_counter()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        slowest = max(slowest, time.perf_counter() - started)
        assert task.cancelled()
    assert slowest < 1, f"a cancelled watch took {slowest:.2f} s to stop"


async def test_a_watch_cancelled_while_connecting_leaves_nothing_behind(
    database_url: str,
) -> None:
    """A worker stopped within moments of its start cancels the watch while
    its connection is being opened: nothing may be left over, neither an
    error nobody retrieves (asyncpg's TLS negotiation, under the default
    sslmode=prefer) nor a connection left open."""
    loop = asyncio.get_running_loop()
    reported: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(
        lambda _loop, context: reported.append(context["message"])
    )
    name = f"cancel-{uuid.uuid4().hex[:8]}"

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(
            database_url, server_settings={"application_name": name}
        )

    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always", ResourceWarning)
            for attempt in range(60):
                watch = RevocationWatch(connect, window_seconds=WINDOW_SECONDS)
                revocation._watches.discard(watch)
                task = asyncio.create_task(watch.run())
                # Every stage of opening a connection: by event loop turns,
                # then by time.
                if attempt < 30:
                    for _ in range(attempt):
                        await asyncio.sleep(0)
                else:
                    await asyncio.sleep(0.0003 * (attempt - 30))
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                assert task.cancelled()
            await asyncio.sleep(0.1)
            gc.collect()  # an unclosed connection warns when it is collected
            await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert reported == []
    assert [str(warning.message) for warning in warned] == []
    left_open = -1
    for _ in range(40):  # a closed connection's backend takes a moment to exit
        [(left_open,)] = await fetch(
            database_url,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            name,
        )
        if left_open == 0:
            break
        await asyncio.sleep(0.05)
    assert left_open == 0
