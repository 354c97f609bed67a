"""Migrations are trustworthy: they run forwards, backwards and forwards again
on a real PostgreSQL, a second run changes nothing, two migrators at once
serialise on the advisory lock, and drift between tables.py and the committed
migrations is caught."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.database import catalogue, fetch, migrate, piccolo
from tests.mana_core_auth.migrations.support import project_copy, run_in


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
    # Piccolo's own forwards, not the schema snapshot an empty database gets
    # (test_snapshot.py reverses that): the migrations, both ways.
    piccolo("migrations", "forwards", "all", database_url=empty_database)
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
    copy = project_copy(tmp_path / "project")
    tables = copy / "auth_tables" / "tables.py"
    tables.write_text(
        tables.read_text().replace(
            "    avatar_url = Text(null=True, default=None)\n",
            "    avatar_url = Text(null=True, default=None)\n"
            "    nickname = Text(null=True, default=None)\n",
        )
    )
    result = run_in(
        copy,
        "-c",
        "from piccolo.main import main; main()",
        "mana",
        "check_migrations",
        database_url=database_url,
    )
    assert result.returncode == 1
    assert "auth: tables.py and migrations disagree" in result.stdout
    assert "nickname" in result.stdout
