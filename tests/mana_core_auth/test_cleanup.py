"""`piccolo mana cleanup` and the periodic cleanup: what has expired goes,
what anyone may still need stays, security events and the ledger are never
touched, and one cleanup runs at a time across replicas."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg

from mana_core_auth.background import background_work
from mana_core_auth.cleanup import CLEANUP_LOCK_KEY, clean_up, longest_rate_limit_window
from mana_core_auth.settings import get_settings
from mana_core_auth.sql import engine
from tests.database import piccolo
from tests.mana_core_auth.credits.support import create_user

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
COUNTER = ("auth.rate_limit_counters", "key")
TOKEN = ("auth.verification_tokens", "id")
MAIL = ("auth.outbox_messages", "id")
SESSION = ("auth.sessions", "id")


@asynccontextmanager
async def connect(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


async def _session(
    db: asyncpg.Connection,
    user_id: uuid.UUID,
    *,
    family: uuid.UUID | None = None,
    expires_at: datetime,
    revoked_at: datetime | None = None,
) -> uuid.UUID:
    return await db.fetchval(
        """
        INSERT INTO auth.sessions (id, user_id, family_id, refresh_token_hash,
            refresh_token_expires_at, last_activity_at, created_at, expires_at,
            revoked_at)
        VALUES (gen_random_uuid(), $1, $2, md5(random()::text) || md5(random()::text),
                $3, now(), now(), $3, $4)
        RETURNING id
        """,
        user_id,
        family or uuid.uuid4(),
        expires_at,
        revoked_at,
    )


async def _token(
    db: asyncpg.Connection,
    user_id: uuid.UUID,
    *,
    expires_at: datetime,
    used_at: datetime | None = None,
) -> uuid.UUID:
    return await db.fetchval(
        """
        INSERT INTO auth.verification_tokens (id, user_id, token_hash, type,
            expires_at, created_at, used_at)
        VALUES (gen_random_uuid(), $1, md5(random()::text) || md5(random()::text),
                'password_reset', $2, now(), $3)
        RETURNING id
        """,
        user_id,
        expires_at,
        used_at,
    )


async def _outbox(db: asyncpg.Connection, created_at: datetime) -> uuid.UUID:
    return await db.fetchval(
        """
        INSERT INTO auth.outbox_messages
            (id, recipient, subject, text, html, created_at)
        VALUES (gen_random_uuid(), 'a@example.com', 's', 't', 'h', $1)
        RETURNING id
        """,
        created_at,
    )


async def _counter(db: asyncpg.Connection, started: datetime) -> str:
    key = f"test:cleanup:{uuid.uuid4().hex}"
    await db.execute(
        "INSERT INTO auth.rate_limit_counters (key, window_started_at, hits) "
        "VALUES ($1, $2, 3)",
        key,
        started,
    )
    return key


async def _exists(
    db: asyncpg.Connection, table: str, column: str, value: object
) -> bool:
    return bool(
        await db.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} = $1)",
            value,
        )
    )


async def _history(db: asyncpg.Connection) -> tuple[int, int]:
    return (
        await db.fetchval("SELECT count(*) FROM auth.security_events"),
        await db.fetchval("SELECT count(*) FROM credits.transactions"),
    )


async def test_cleanup_deletes_what_expired_and_keeps_the_rest(
    app, database_url: str, capsys
) -> None:
    settings = get_settings()
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=settings.cleanup_sessions_after_days) - DAY
    user = await create_user()
    async with connect(database_url) as db:
        await db.execute(
            "INSERT INTO auth.security_events (id, user_id, event_type, created_at) "
            "VALUES (gen_random_uuid(), $1, 'login', $2)",
            user.id,
            now - timedelta(days=3650),
        )
        window = timedelta(seconds=longest_rate_limit_window(settings))
        old_mail = now - timedelta(days=settings.cleanup_outbox_after_days) - DAY
        gone = {
            "ended window": (COUNTER, await _counter(db, now - window - SECOND)),
            "used link": (
                TOKEN,
                await _token(db, user.id, expires_at=now + DAY, used_at=now),
            ),
            "expired link": (TOKEN, await _token(db, user.id, expires_at=now - DAY)),
            "old mail": (MAIL, await _outbox(db, old_mail)),
            "long expired session": (
                SESSION,
                await _session(db, user.id, expires_at=long_ago),
            ),
            "long ended session": (
                SESSION,
                await _session(db, user.id, expires_at=now + DAY, revoked_at=long_ago),
            ),
        }
        family = uuid.uuid4()
        kept = {
            "live window": (COUNTER, await _counter(db, now)),
            "live link": (TOKEN, await _token(db, user.id, expires_at=now + DAY)),
            "new mail": (MAIL, await _outbox(db, now - DAY)),
            "live session": (
                SESSION,
                await _session(db, user.id, expires_at=now + DAY),
            ),
            "recently ended session": (
                SESSION,
                await _session(db, user.id, expires_at=now + DAY, revoked_at=now - DAY),
            ),
            # Rotated long ago in a family still alive: presenting its
            # refresh token again must still be seen as reuse.
            "rotated session of a live family": (
                SESSION,
                await _session(
                    db,
                    user.id,
                    family=family,
                    expires_at=now + DAY,
                    revoked_at=long_ago,
                ),
            ),
            "its live successor": (
                SESSION,
                await _session(db, user.id, family=family, expires_at=now + DAY),
            ),
        }
        history_before = await _history(db)

    result = piccolo("mana", "cleanup", database_url=database_url)

    counts = {
        table: int(count)
        for table, count in re.findall(
            r"^(auth\.\w+): deleted (\d+)", result.stdout, re.M
        )
    }
    assert set(counts) == {
        "auth.rate_limit_counters",
        "auth.verification_tokens",
        "auth.outbox_messages",
        "auth.sessions",
    }, result.stdout
    assert counts["auth.rate_limit_counters"] >= 1
    assert counts["auth.verification_tokens"] >= 2
    assert counts["auth.outbox_messages"] >= 1
    assert counts["auth.sessions"] >= 2
    async with connect(database_url) as db:
        for rows, expected in ((gone, False), (kept, True)):
            for name, ((table, column), value) in rows.items():
                assert await _exists(db, table, column, value) is expected, name
        assert await _history(db) == history_before
    with capsys.disabled():
        print(f"\none cleanup run on the test database:\n{result.stdout}", end="")


async def test_security_events_and_the_ledger_are_never_deleted(
    app, database_url: str, monkeypatch
) -> None:
    """Even with every retention at zero and a decade-old history."""
    user = await create_user()
    decade = datetime.now(UTC) - timedelta(days=3650)
    async with connect(database_url) as db:
        await db.execute(
            "UPDATE credits.transactions SET created_at = $2 WHERE user_id = $1",
            user.id,
            decade,
        )
        await db.execute(
            "UPDATE auth.security_events SET created_at = $2 WHERE user_id = $1",
            user.id,
            decade,
        )
        before = await _history(db)
    settings = get_settings().model_copy(
        update={"cleanup_sessions_after_days": 0, "cleanup_outbox_after_days": 0}
    )
    assert await clean_up(settings, wait=True) is not None
    async with connect(database_url) as db:
        assert await _history(db) == before
        assert await db.fetchval(
            "SELECT count(*) FROM credits.transactions WHERE user_id = $1", user.id
        )


async def test_one_cleanup_at_a_time(app, database_url: str) -> None:
    async with connect(database_url) as db:
        key = await _counter(db, datetime.now(UTC) - timedelta(days=2))
        holder = await asyncpg.connect(database_url)
        try:
            await holder.execute("SELECT pg_advisory_lock($1)", CLEANUP_LOCK_KEY)
            assert await clean_up(get_settings(), wait=False) is None
            assert await _exists(db, "auth.rate_limit_counters", "key", key)
        finally:
            await holder.close()
        deleted = await clean_up(get_settings(), wait=False)
        assert deleted is not None and deleted["auth.rate_limit_counters"] >= 1
        assert not await _exists(db, "auth.rate_limit_counters", "key", key)


async def test_the_service_cleans_up_periodically(app, database_url: str) -> None:
    settings = get_settings().model_copy(update={"cleanup_interval_seconds": 1})
    async with connect(database_url) as db:
        key = await _counter(db, datetime.now(UTC) - timedelta(days=2))
        async with background_work(settings, engine()):
            for _ in range(100):  # bounded: 10 s at most
                if not await _exists(db, "auth.rate_limit_counters", "key", key):
                    break
                await asyncio.sleep(0.1)
        assert not await _exists(db, "auth.rate_limit_counters", "key", key)


async def test_no_periodic_cleanup_when_the_interval_is_zero(
    app, database_url: str
) -> None:
    settings = get_settings().model_copy(update={"cleanup_interval_seconds": 0})
    async with connect(database_url) as db:
        key = await _counter(db, datetime.now(UTC) - timedelta(days=2))
        async with background_work(settings, engine()):
            await asyncio.sleep(1.5)
        assert await _exists(db, "auth.rate_limit_counters", "key", key)
