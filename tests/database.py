"""A throwaway database per test run, on `DATABASE_URL`'s server or on the
embedded PostgreSQL a new user gets."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def server_url() -> str:
    """A URL of the server the tests use, pointing at its `postgres` database."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return with_database(url, "postgres")
    from mana_core_auth.database import embedded_server
    from mana_core_auth.settings import Settings

    server = embedded_server(
        Settings(database_url=None, data_dir=PROJECT_ROOT / ".data")
    )
    uri: str = server.get_uri("postgres")
    return uri


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(server: str, prefix: str = "mana_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(server, name)


async def drop_database(server: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def piccolo(
    *args: str, database_url: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the `piccolo` CLI of this project against `database_url`."""
    env = {**os.environ, "DATABASE_URL": database_url, "PICCOLO_CONF": "piccolo_conf"}
    return subprocess.run(
        [sys.executable, "-c", "from piccolo.main import main; main()", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=300,
    )


def migrate(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "mana_core_auth.migrations"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


async def fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    """Run one query on its own connection (not the app's pool)."""
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


async def catalogue(url: str) -> dict[str, object]:
    """The schemas `auth` and `credits` as PostgreSQL's catalogue sees them:
    columns, constraints and indexes, in a comparable form."""
    columns = await fetch(
        url,
        """
        SELECT table_schema || '.' || table_name AS tbl, column_name, data_type,
               is_nullable = 'YES' AS nullable, column_default
        FROM information_schema.columns
        WHERE table_schema IN ('auth', 'credits')
        ORDER BY 1, ordinal_position
        """,
    )
    constraints = await fetch(
        url,
        """
        SELECT conrelid::regclass::text AS tbl, conname, contype::text,
               pg_get_constraintdef(oid) AS definition
        FROM pg_constraint
        WHERE connamespace::regnamespace::text IN ('auth', 'credits')
        ORDER BY 1, 2
        """,
    )
    indexes = await fetch(
        url,
        """
        SELECT schemaname || '.' || tablename AS tbl, indexname, indexdef
        FROM pg_indexes WHERE schemaname IN ('auth', 'credits') ORDER BY 1, 2
        """,
    )
    return {
        "columns": [tuple(row) for row in columns],
        "constraints": [tuple(row) for row in constraints],
        "indexes": [tuple(row) for row in indexes],
    }


def missing_columns(
    schema: dict[str, object], expected: dict[str, dict[str, tuple[str, bool]]]
) -> list[str]:
    """`table.column` of every expected column that is absent or differs in
    type or nullability."""
    found = {(t, c): (dt, n) for t, c, dt, n, _ in schema["columns"]}  # type: ignore[attr-defined]
    return [
        f"{table}.{column}"
        for table, columns in expected.items()
        for column, type_and_null in columns.items()
        if found.get((table, column)) != type_and_null
    ]
