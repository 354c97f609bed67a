"""Applying pending migrations, one migrator at a time
(`python -m mana_core_auth.migrations`).

`piccolo migrations forwards all` takes no lock, so two replicas starting
together could both run a migration. This holds a PostgreSQL advisory lock
around it: the second migrator waits, then finds nothing to do. It connects
to `MIGRATION_DATABASE_URL` (PostgreSQL itself, not pgbouncer: advisory locks
and DDL need a real session), falling back to `DATABASE_URL`.

Every container start runs this, almost always with nothing to do: the ids
of the committed migration files are compared with the applied ones first,
and Piccolo's migration machinery runs only when one is missing. An empty
database gets the schema snapshot instead (`snapshot`), and Piccolo only for
migrations newer than it. Piccolo runs in this process, its chatter kept
back; what is printed is one line per step, and on failure everything
Piccolo said. Nothing heavier than asyncpg is imported until it is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import asyncpg

from mana_core_auth.migrations.applied import applied_migrations
from mana_core_auth.migrations.committed import committed_migrations
from mana_core_auth.migrations.snapshot import create_from_snapshot

if TYPE_CHECKING:
    from mana_core_auth.settings import Settings

logger = logging.getLogger(__name__)

# Any fixed 64-bit number, the same for every replica.
MIGRATION_LOCK_KEY = 0x6D616E615F6D6967  # "mana_mig"


def migration_database_url(settings: Settings) -> str:
    from mana_core_auth.database import resolve_database_url

    return settings.migration_database_url or resolve_database_url(settings)


@contextlib.contextmanager
def _engine_at(url: str) -> Iterator[None]:
    """Piccolo's engine connecting to `url` (no pool: every query of a
    migration opens its own connection) for the duration."""
    from mana_core_auth.sql import engine

    db = engine()
    config = db.config
    db.config = {**config, "dsn": url}
    try:
        yield
    finally:
        db.config = config


async def _forwards(url: str) -> tuple[bool, str]:
    """Run `forwards all` in this process; whether it succeeded, and what
    Piccolo printed."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    said = io.StringIO()
    with _engine_at(url), contextlib.redirect_stdout(said):
        try:
            result = await run_forwards("all")
        except Exception as error:  # a migration's own SQL failed
            print(f"{type(error).__name__}: {error}")
            return False, said.getvalue()
    return result.success, said.getvalue()


def _describe(pending: set[tuple[str, str]]) -> str:
    per_app: dict[str, int] = {}
    for app_name, _ in pending:
        per_app[app_name] = per_app.get(app_name, 0) + 1
    apps = ", ".join(f"{app} {count}" for app, count in sorted(per_app.items()))
    count = len(pending)
    return f"{count} migration{'s' if count != 1 else ''} not yet run ({apps})"


async def run_locked(url: str) -> int:
    """Apply the pending migrations to `url` under the lock; 0 on success."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        pending = set(committed_migrations()) - await applied_migrations(
            connection.fetch
        )
        if not pending:
            print("No migrations to run: the database is up to date.")
            return 0
        print(f"Applying {_describe(pending)}...", flush=True)
        from_snapshot = await create_from_snapshot(connection)
        if from_snapshot:
            print(f"  {from_snapshot} from the schema snapshot", flush=True)
        if from_snapshot < len(pending):
            succeeded, said = await _forwards(url)
            if not succeeded:
                print(said, end="", file=sys.stderr)
                print("A migration failed; nothing of it was applied.", file=sys.stderr)
                return 1
        print(f"Applied {len(pending)} migrations.")
        return 0
    finally:
        await connection.close()  # ends the session, releasing the lock


def main(url: str | None = None) -> int:
    """Migrate `url`, by default the settings' migration database."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if url is None:
        from mana_core_auth.settings import get_settings

        url = migration_database_url(get_settings())
    return asyncio.run(run_locked(url))
