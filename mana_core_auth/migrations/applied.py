"""The migrations applied to a database, as Piccolo records them in its
`public.migration` table (made by the first migrator)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from mana_core_auth.migrations.committed import committed_migrations

_TABLE_EXISTS = "SELECT to_regclass('public.migration') IS NOT NULL AS present"
_APPLIED = "SELECT app_name, name FROM public.migration"

FetchRows = Callable[[str], Awaitable[list[Any]]]


async def applied_migrations(fetch_rows: FetchRows) -> set[tuple[str, str]]:
    """(app name, migration id) of every applied migration, read with
    `fetch_rows` (the app's pool, or a migrator's own connection).

    :raises Exception: whatever the driver raises if the database is down.
    """
    if not (await fetch_rows(_TABLE_EXISTS))[0]["present"]:
        return set()
    return {(row["app_name"], row["name"]) for row in await fetch_rows(_APPLIED)}


async def pending_at(url: str) -> set[tuple[str, str]]:
    """The committed migrations not applied to the database at `url`, read
    on a connection of its own (no Piccolo engine needed)."""
    connection = await asyncpg.connect(url)
    try:
        return set(committed_migrations()) - await applied_migrations(connection.fetch)
    finally:
        await connection.close()
