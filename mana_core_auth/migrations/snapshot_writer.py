"""Making the snapshot anew: a throwaway database migrated by Piccolo's own
`migrations forwards all` (never from the snapshot it replaces), dumped,
dropped. It is made on the server of `MIGRATION_DATABASE_URL` or
`DATABASE_URL`, else on the embedded PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from mana_core_auth.migrations.committed import PROJECT_ROOT
from mana_core_auth.migrations.snapshot_dump import dumped_snapshot


def _server_url() -> str:
    url = os.environ.get("MIGRATION_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    from mana_core_auth.database import embedded_server
    from mana_core_auth.settings import get_settings

    uri: str = embedded_server(get_settings()).get_uri("postgres")
    return uri


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _migrate_with_piccolo(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "PICCOLO_CONF": "piccolo_conf"}
    env.pop("MIGRATION_DATABASE_URL", None)
    piccolo = [sys.executable, "-c", "from piccolo.main import main; main()"]
    result = subprocess.run(  # noqa: S603 (this Python, fixed arguments)
        [*piccolo, "migrations", "forwards", "all"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrating failed:\n{result.stdout}{result.stderr}")


async def _execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def regenerated_snapshot() -> str:
    """The snapshot of the committed migrations, made on a database of its own."""
    server = _server_url()
    name = f"mana_snapshot_{uuid.uuid4().hex[:12]}"
    asyncio.run(_execute(server, f'CREATE DATABASE "{name}"'))
    url = _with_database(server, name)
    try:
        _migrate_with_piccolo(url)
        return asyncio.run(dumped_snapshot(url))
    finally:
        asyncio.run(_execute(server, f'DROP DATABASE "{name}" WITH (FORCE)'))
