"""The schema snapshot (`snapshot.sql`): the database as every committed
migration leaves it, tables and all, with the rows those migrations write
(Piccolo's `migration` table among them). An empty database gets its schema
from it in one transaction instead of running every migration in turn, as
Rails loads `schema.rb`; asyncpg only, no Piccolo.

Made by migrating a throwaway database the normal way and dumping it:
`python -m mana_core_auth.migrations.snapshot --write` (`./manage snapshot`),
after every new migration. A test fails until then; meanwhile a stale
snapshot is still safe, the migrations it lacks run after it.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import asyncpg

from mana_core_auth.migrations.applied import applied_migrations
from mana_core_auth.migrations.committed import committed_migrations

SNAPSHOT = Path(__file__).resolve().with_name("snapshot.sql")
REGENERATE = "python -m mana_core_auth.migrations.snapshot --write"

# Nothing but the system schemas and an empty `public`, as CREATE DATABASE
# makes it. A database with anything more in it, even objects no migration
# made, is migrated migration by migration as before.
_EMPTY = """
SELECT NOT EXISTS (
    SELECT FROM pg_namespace
    WHERE nspname NOT IN ('public', 'information_schema') AND nspname !~ '^pg_'
) AND NOT EXISTS (
    SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public'
) AND NOT EXISTS (
    SELECT FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
) AND NOT EXISTS (
    SELECT FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public'
) AS empty
"""

# What pg_dump sets before its output, which the snapshot leaves out: names
# resolve as they were dumped (every one qualified), and function bodies are
# not checked against tables created after them.
_AS_DUMPED = """
SELECT pg_catalog.set_config('search_path', '', true);
SET LOCAL check_function_bodies = false;
SET LOCAL client_min_messages = warning;
"""

# The rows were inserted in the order Piccolo applied the migrations, all
# with the transaction's start as `ran_on`; Piccolo orders by `ran_on` when
# it reverses migrations, so give each its own, from this machine's clock
# as Piccolo's own inserts do.
_RAN_IN_ORDER = """
UPDATE public.migration
SET ran_on = $1::timestamp + id * interval '1 microsecond'
"""


class _NotThisCode(Exception):
    """The snapshot records migrations that are not committed."""


async def is_empty(connection: asyncpg.Connection) -> bool:
    empty: bool = await connection.fetchval(_EMPTY)
    return empty


async def create_from_snapshot(connection: asyncpg.Connection) -> int:
    """Create the schema of the empty database on `connection` from the
    snapshot; how many migrations that applied. 0, and nothing changed, if
    the database is not empty, there is no snapshot, or it did not apply
    (then the migrations run one by one, as without it). The caller holds
    the migration lock."""
    if not SNAPSHOT.exists() or not await is_empty(connection):
        return 0
    return await apply_snapshot(connection, SNAPSHOT.read_text(encoding="utf-8"))


async def apply_snapshot(connection: asyncpg.Connection, snapshot: str) -> int:
    """Run `snapshot` (the text of one) in one transaction; how many
    migrations it applied, 0 if it failed or records a migration that is not
    committed, which leaves nothing of it behind."""
    try:
        async with connection.transaction():
            await connection.execute(_AS_DUMPED)
            await connection.execute(snapshot)
            await connection.execute(_RAN_IN_ORDER, datetime.now())
            applied = await applied_migrations(connection.fetch)
            unknown = applied - committed_migrations()
            if unknown:
                names = ", ".join(f"{app}:{name}" for app, name in sorted(unknown))
                raise _NotThisCode(f"it records migrations not committed: {names}")
    except (asyncpg.PostgresError, _NotThisCode) as error:
        print(f"The schema snapshot did not apply: {error}", file=sys.stderr)
        return 0
    return len(applied)


def main() -> int:
    import argparse

    from mana_core_auth.migrations.snapshot_writer import regenerated_snapshot

    parser = argparse.ArgumentParser(
        prog="python -m mana_core_auth.migrations.snapshot",
        description="Migrate a throwaway database (on the server of "
        "MIGRATION_DATABASE_URL or DATABASE_URL, else the embedded one) with "
        "Piccolo's migrations and print its snapshot.",
    )
    parser.add_argument(
        "--write", action="store_true", help=f"write it to {SNAPSHOT.name} instead"
    )
    arguments = parser.parse_args()
    snapshot = regenerated_snapshot()
    if not arguments.write:
        print(snapshot, end="")
        return 0
    if SNAPSHOT.exists() and SNAPSHOT.read_text(encoding="utf-8") == snapshot:
        print(f"{SNAPSHOT.name} is up to date.")
        return 0
    SNAPSHOT.write_text(snapshot, encoding="utf-8")
    print(f"Wrote {SNAPSHOT}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
