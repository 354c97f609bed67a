"""Hand-written SQL, with asyncpg's `$1` placeholders, on Piccolo's
connections: the current transaction's connection if one is open, else one
from the pool (or a fresh one, as in `piccolo` commands, which run without a
pool). Every statement the query builder cannot express, or where building
it would cost more than running it (the session check, the spend), goes
through here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine

from mana_core_auth.configured_engine import configured_engine


def engine() -> PostgresEngine:
    """The engine of piccolo_conf, found once (`configured_engine` caches
    it), as each table keeps its own: finding it again for every statement
    was 2 % of a login's event-loop time."""
    return configured_engine()


async def fetch(sql: str, *args: Any) -> list[asyncpg.Record]:
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is not None:
        return await transaction.connection.fetch(sql, *args)
    if db.pool is not None:
        async with db.pool.acquire() as connection:
            return await connection.fetch(sql, *args)
    connection = await db.get_new_connection()
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def fetch_one(sql: str, *args: Any) -> asyncpg.Record | None:
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


@asynccontextmanager
async def consistent_snapshot() -> AsyncIterator[asyncpg.Connection]:
    """A connection whose queries all see one snapshot (read only,
    repeatable read), so checks across tables agree with each other while
    writers go on. Inside an open transaction, that transaction's connection."""
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is not None:
        yield transaction.connection
        return
    connection = await (
        db.pool.acquire() if db.pool is not None else db.get_new_connection()
    )
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            yield connection
    finally:
        if db.pool is not None:
            await db.pool.release(connection)
        else:
            await connection.close()


async def release_without_reset(connection: asyncpg.Connection) -> None:
    """The pool's `reset`: nothing. asyncpg's default runs `RESET ALL`,
    `UNLISTEN *`, `CLOSE ALL` and `pg_advisory_unlock_all()` on every release,
    a round trip per request that took 9 % of a worker's time on validate.
    Pooled connections here never change session state: advisory locks and
    LISTEN run on connections of their own (cleanup, migrations, the
    revocation watch), and no statement sets a session parameter. asyncpg
    still rolls back a transaction left open before this is called."""
