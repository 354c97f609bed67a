"""Deleting rows nobody will need again: rate-limit windows that ended,
used or expired email-verification and password-reset tokens, outbox mail
older than CLEANUP_OUTBOX_AFTER_DAYS, and sessions that ended or expired
more than CLEANUP_SESSIONS_AFTER_DAYS ago.

Security events and the credit ledger are never deleted: they are the
history users and operators read.

One cleanup at a time across every replica: a PostgreSQL advisory lock,
held on a connection of its own to `MIGRATION_DATABASE_URL` (PostgreSQL
itself: a session lock does not survive PgBouncer's transaction pooling).
Rows go in batches, each its own short statement, so no delete holds many
row locks for long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from mana_core_auth.migrations.lock import migration_database_url
from mana_core_auth.settings import Settings

# Any fixed 64-bit number, the same for every replica (and not the
# migration lock's).
CLEANUP_LOCK_KEY = 0x6D616E615F636C6E  # "mana_cln"
BATCH_SIZE = 5000


@dataclass(frozen=True)
class Purge:
    table: str
    what: str
    # $1 is the batch size; $2, if any, what `setting` reads.
    statement: str
    setting: Callable[[Settings], int] | None = None


PURGES = (
    Purge(
        "auth.rate_limit_counters",
        "windows that ended",
        """
        DELETE FROM auth.rate_limit_counters
        WHERE key IN (
            SELECT key FROM auth.rate_limit_counters
            WHERE window_started_at < now() - make_interval(secs => $2::int)
            LIMIT $1
        )
        AND window_started_at < now() - make_interval(secs => $2::int)
        """,
        lambda settings: longest_rate_limit_window(settings),
    ),
    Purge(
        "auth.verification_tokens",
        "used or expired links",
        """
        DELETE FROM auth.verification_tokens
        WHERE id IN (
            SELECT id FROM auth.verification_tokens
            WHERE used_at IS NOT NULL OR expires_at < now()
            LIMIT $1
        )
        """,
    ),
    Purge(
        "auth.outbox_messages",
        "mail kept longer than CLEANUP_OUTBOX_AFTER_DAYS",
        """
        DELETE FROM auth.outbox_messages
        WHERE id IN (
            SELECT id FROM auth.outbox_messages
            WHERE created_at < now() - make_interval(days => $2::int)
            LIMIT $1
        )
        """,
        lambda settings: settings.cleanup_outbox_after_days,
    ),
    # A session that was rotated stays while its family lives: presenting
    # its refresh token again is how reuse is noticed.
    Purge(
        "auth.sessions",
        "sessions ended or expired longer than CLEANUP_SESSIONS_AFTER_DAYS ago",
        """
        DELETE FROM auth.sessions
        WHERE id IN (
            SELECT old.id FROM auth.sessions AS old
            WHERE old.expires_at < now() - make_interval(days => $2::int)
               OR (old.revoked_at < now() - make_interval(days => $2::int)
                   AND NOT EXISTS (
                       SELECT 1 FROM auth.sessions AS live
                       WHERE live.family_id = old.family_id
                         AND live.revoked_at IS NULL AND live.expires_at > now()
                   ))
            LIMIT $1
        )
        """,
        lambda settings: settings.cleanup_sessions_after_days,
    ),
)


def longest_rate_limit_window(settings: Settings) -> int:
    """Counter rows do not say their window; a row older than the longest
    one has ended whichever limit it counts."""
    return max(
        value
        for name, value in settings.model_dump().items()
        if name.startswith("rate_limit_") and name.endswith("_window_seconds")
    )


async def delete_expired_rows(
    connection: asyncpg.Connection, settings: Settings, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Run every purge to the end; rows deleted per table."""
    deleted = {}
    for purge in PURGES:
        parameters = [purge.setting(settings)] if purge.setting else []
        total = 0
        while True:
            status = await connection.execute(purge.statement, batch_size, *parameters)
            count = int(status.rsplit(" ", 1)[1])
            total += count
            if count < batch_size:
                break
        deleted[purge.table] = total
    return deleted


async def clean_up(settings: Settings, *, wait: bool) -> dict[str, int] | None:
    """Take the cleanup lock and delete what has expired; rows per table.
    None without deleting anything when another replica holds the lock and
    `wait` is false."""
    connection = await asyncpg.connect(migration_database_url(settings))
    try:
        if wait:
            await connection.execute("SELECT pg_advisory_lock($1)", CLEANUP_LOCK_KEY)
        elif not await connection.fetchval(
            "SELECT pg_try_advisory_lock($1)", CLEANUP_LOCK_KEY
        ):
            return None
        return await delete_expired_rows(connection, settings)
    finally:
        await connection.close()  # ends the session, releasing the lock
