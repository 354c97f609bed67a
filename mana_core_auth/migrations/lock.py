"""Applying pending migrations, one migrator at a time
(`python -m mana_core_auth.migrations`).

`piccolo migrations forwards all` takes no lock, so two replicas starting
together could both run a migration. This holds a PostgreSQL advisory lock
around it: the second migrator waits, then finds nothing to do. It connects
to `MIGRATION_DATABASE_URL` (PostgreSQL itself, not pgbouncer: advisory locks
and DDL need a real session), falling back to `DATABASE_URL`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import asyncpg

from mana_core_auth.database import resolve_database_url
from mana_core_auth.settings import Settings, get_settings

logger = logging.getLogger(__name__)

# Any fixed 64-bit number, the same for every replica.
MIGRATION_LOCK_KEY = 0x6D616E615F6D6967  # "mana_mig"


def migration_database_url(settings: Settings) -> str:
    return settings.migration_database_url or resolve_database_url(settings)


async def run_locked(url: str) -> int:
    """Run `piccolo migrations forwards all` against `url` under the lock;
    return its exit status."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from piccolo.main import main; main()",
            "migrations",
            "forwards",
            "all",
            env={**os.environ, "DATABASE_URL": url},
        )
        return await process.wait()
    finally:
        await connection.close()  # ends the session, releasing the lock


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    url = migration_database_url(get_settings())
    return asyncio.run(run_locked(url))
