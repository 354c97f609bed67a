"""Migrations are trustworthy: they run forwards, backwards and forwards again
on a real PostgreSQL, a second run changes nothing, two migrators at once
serialise on the advisory lock, and drift between tables.py and the committed
migrations is caught."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.database import (
    PROJECT_ROOT,
    catalogue,
    create_database,
    drop_database,
    fetch,
    migrate,
    piccolo,
)


@pytest.fixture
async def empty_database(server_admin_url: str) -> AsyncIterator[str]:
    url = await create_database(server_admin_url, prefix="mana_migrate")
    yield url
    await drop_database(server_admin_url, url)


async def applied(url: str) -> list[tuple[str, str]]:
    rows = await fetch(url, "SELECT app_name, name FROM migration ORDER BY id")
    return [(row["app_name"], row["name"]) for row in rows]


async def test_forwards_twice_is_a_no_op(empty_database: str) -> None:
    first = migrate(empty_database)
    assert first.returncode == 0, first.stdout + first.stderr
    schema = await catalogue(empty_database)
    ran = await applied(empty_database)
    assert {app for app, _ in ran} >= {"auth", "credits"}

    second = migrate(empty_database)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "migration not yet run" not in second.stdout
    assert await catalogue(empty_database) == schema
    assert await applied(empty_database) == ran


async def test_backwards_then_forwards_restores_the_schema(
    empty_database: str,
) -> None:
    assert migrate(empty_database).returncode == 0
    schema = await catalogue(empty_database)

    for app in ("credits", "auth"):
        piccolo(
            "migrations",
            "backwards",
            app,
            "--migration_id=all",
            "--auto_agree",
            database_url=empty_database,
        )
    tables = await fetch(
        empty_database,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema IN ('auth', 'credits')",
    )
    assert tables == []

    assert migrate(empty_database).returncode == 0
    assert await catalogue(empty_database) == schema


async def test_two_migrators_at_once_both_succeed_and_migrate_once(
    empty_database: str,
) -> None:
    results = await asyncio.gather(
        asyncio.to_thread(migrate, empty_database),
        asyncio.to_thread(migrate, empty_database),
    )
    assert [result.returncode for result in results] == [0, 0]
    ran = await applied(empty_database)
    assert len(ran) == len(set(ran))


def test_committed_migrations_match_the_tables(database_url: str) -> None:
    result = piccolo("mana", "check_migrations", database_url=database_url)
    assert "Migrations match the tables." in result.stdout


def test_drift_between_tables_and_migrations_is_reported(
    tmp_path: Path, database_url: str
) -> None:
    copy = tmp_path / "project"
    files = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True
    ).stdout.split()
    for name in files:
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, target)
    tables = copy / "auth_tables" / "tables.py"
    tables.write_text(
        tables.read_text().replace(
            "    avatar_url = Text(null=True, default=None)\n",
            "    avatar_url = Text(null=True, default=None)\n"
            "    nickname = Text(null=True, default=None)\n",
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from piccolo.main import main; main()",
            "mana",
            "check_migrations",
        ],
        cwd=copy,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "auth: tables.py and migrations disagree" in result.stdout
    assert "nickname" in result.stdout
