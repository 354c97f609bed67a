"""The schema snapshot an empty database is created from: the same database
as Piccolo's migrations make (a test that fails when it is stale), after
which nothing is left to migrate; migrations newer than it still run, any
database with something in it is migrated as before, and migrators started
together create it once."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from mana_core_auth.migrations.committed import committed_migrations
from mana_core_auth.migrations.snapshot import (
    REGENERATE,
    apply_snapshot,
    create_from_snapshot,
)
from mana_core_auth.migrations.snapshot_dump import dumped_snapshot, without_noise
from tests.database import catalogue, fetch, migrate, piccolo
from tests.mana_core_auth.migrations.support import project_copy, run_in

MakeDatabase = Callable[[], Awaitable[str]]

APPLIED = "SELECT app_name, name FROM public.migration ORDER BY id"
SEQUENCES = (
    "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2"
)
FROM_SNAPSHOT = f"{len(committed_migrations())} from the schema snapshot"

NEWER_ID = "2099-01-01T00:00:00:000000"
NEWER_MIGRATION = f'''
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "{NEWER_ID}"
VERSION = "1.38.0"
DESCRIPTION = "a trigger added after the snapshot was made"

FUNCTION = """
CREATE FUNCTION auth.after_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END
$$
"""
TRIGGER = """
CREATE TRIGGER after_snapshot BEFORE UPDATE ON auth.users
FOR EACH ROW EXECUTE FUNCTION auth.after_snapshot()
"""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="auth", description=DESCRIPTION
    )

    async def run():
        engine = engine_finder()
        await engine.run_ddl(FUNCTION)
        await engine.run_ddl(TRIGGER)

    manager.add_raw(run)
    return manager
'''


async def load_snapshot(url: str, snapshot: str | None = None) -> int:
    """The committed snapshot (or the text of another) alone into `url`, no
    migration after it."""
    connection = await asyncpg.connect(url)
    try:
        if snapshot is None:
            return await create_from_snapshot(connection)
        return await apply_snapshot(connection, snapshot)
    finally:
        await connection.close()


async def applied(url: str) -> list[tuple[str, str]]:
    return [(row["app_name"], row["name"]) for row in await fetch(url, APPLIED)]


async def test_the_snapshot_is_what_the_migrations_make(
    make_empty_database: MakeDatabase,
) -> None:
    stale = f"The schema snapshot is stale: regenerate it with `{REGENERATE}`"
    from_snapshot, migrated = await make_empty_database(), await make_empty_database()
    assert await load_snapshot(from_snapshot), f"{stale} (it does not apply)"
    piccolo("migrations", "forwards", "all", database_url=migrated)
    # What PostgreSQL reads back from a dump is the same schema, though not
    # always the same text: a CHECK (x IN (...)) on a varchar column reads
    # back with its casts moved. So the snapshot's database is compared with
    # one made from a snapshot of the migrated database, made just now.
    regenerated = await make_empty_database()
    assert await load_snapshot(regenerated, await dumped_snapshot(migrated))

    missing = set(committed_migrations()) - set(await applied(from_snapshot))
    assert not missing, f"{stale} (it lacks {sorted(missing)})"
    expected = await dumped_snapshot(regenerated)
    got = await dumped_snapshot(from_snapshot)
    diff = "".join(
        difflib.unified_diff(
            got.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            "from the committed snapshot",
            "from the migrations",
        )
    )
    assert got == expected, f"{stale}.\n{diff[:6000]}"
    assert await catalogue(from_snapshot) == await catalogue(regenerated), stale
    assert await applied(from_snapshot) == await applied(migrated), stale
    assert await fetch(from_snapshot, SEQUENCES) == await fetch(migrated, SEQUENCES)


async def test_after_the_snapshot_nothing_is_left_to_migrate(
    empty_database: str,
) -> None:
    first = migrate(empty_database)
    assert first.returncode == 0, first.stdout + first.stderr
    assert FROM_SNAPSHOT in first.stdout

    again = migrate(empty_database)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "the database is up to date" in again.stdout
    check = piccolo("migrations", "check", database_url=empty_database).stdout
    assert "| False" not in check and "| True" in check
    forwards = piccolo("migrations", "forwards", "all", database_url=empty_database)
    assert "not yet run" not in forwards.stdout
    assert "Running" not in forwards.stdout
    # Piccolo reverses migrations in the order of `ran_on`: the order they ran.
    by_time = await fetch(empty_database, "SELECT id FROM migration ORDER BY ran_on")
    assert [row["id"] for row in by_time] == sorted(row["id"] for row in by_time)


async def test_piccolo_reverses_a_database_made_from_the_snapshot(
    make_empty_database: MakeDatabase,
) -> None:
    url = await make_empty_database()
    assert migrate(url).returncode == 0
    for app in ("credits", "auth"):
        piccolo(
            "migrations",
            "backwards",
            app,
            "--migration_id=all",
            "--auto_agree",
            database_url=url,
        )
    tables = await fetch(
        url,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema IN ('auth', 'credits')",
    )
    assert tables == []

    again = migrate(url)
    assert again.returncode == 0, again.stdout + again.stderr
    reversed_ = [app for app, _ in committed_migrations() if app in ("auth", "credits")]
    assert f"Applying {len(reversed_)} migrations not yet run" in again.stdout
    assert "schema snapshot" not in again.stdout
    reference = await make_empty_database()
    piccolo("migrations", "forwards", "all", database_url=reference)
    assert await catalogue(url) == await catalogue(reference)


async def test_a_migration_newer_than_the_snapshot_still_runs(
    tmp_path: Path, make_empty_database: MakeDatabase
) -> None:
    project = project_copy(tmp_path / "project")
    folder = project / "auth_tables" / "piccolo_migrations"
    (folder / "auth_2099_01_01t00_00_00_000000.py").write_text(NEWER_MIGRATION)
    trigger = "SELECT tgname FROM pg_trigger WHERE tgname = 'after_snapshot'"

    empty = await make_empty_database()
    result = run_in(project, "-m", "mana_core_auth.migrations", database_url=empty)
    assert result.returncode == 0, result.stdout + result.stderr
    assert FROM_SNAPSHOT in result.stdout
    assert f"Applied {len(committed_migrations()) + 1} migrations." in result.stdout
    assert await fetch(empty, trigger)
    latest = await fetch(empty, "SELECT name FROM migration ORDER BY ran_on DESC")
    assert latest[0]["name"] == NEWER_ID

    # A database made from the snapshot before the migration was added.
    at_snapshot = await make_empty_database()
    assert migrate(at_snapshot).returncode == 0
    result = run_in(
        project, "-m", "mana_core_auth.migrations", database_url=at_snapshot
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Applying 1 migration not yet run (auth 1)" in result.stdout
    assert "schema snapshot" not in result.stdout
    assert await fetch(at_snapshot, trigger)


async def test_a_regenerated_snapshot_holds_the_new_migration(
    tmp_path: Path, make_empty_database: MakeDatabase
) -> None:
    project = project_copy(tmp_path / "project")
    folder = project / "auth_tables" / "piccolo_migrations"
    (folder / "auth_2099_01_01t00_00_00_000000.py").write_text(NEWER_MIGRATION)
    server = await make_empty_database()  # where the throwaway one is made

    written = run_in(
        project,
        "-m",
        "mana_core_auth.migrations.snapshot",
        "--write",
        database_url=server,
    )
    assert written.returncode == 0, written.stdout + written.stderr
    new_snapshot = (project / "mana_core_auth/migrations/snapshot.sql").read_text()
    assert "CREATE TRIGGER after_snapshot" in new_snapshot
    assert "RETURN NEW;" in new_snapshot

    empty = await make_empty_database()
    result = run_in(project, "-m", "mana_core_auth.migrations", database_url=empty)
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(committed_migrations()) + 1
    assert f"{count} from the schema snapshot" in result.stdout
    assert await fetch(
        empty, "SELECT tgname FROM pg_trigger WHERE tgname = 'after_snapshot'"
    )


@pytest.mark.parametrize(
    "already_there",
    [
        pytest.param(["user"], id="partly-migrated"),
        pytest.param([], id="a-table-of-its-own"),
    ],
)
async def test_a_database_with_anything_in_it_is_migrated_as_before(
    already_there: list[str], make_empty_database: MakeDatabase
) -> None:
    url = await make_empty_database()
    for app in already_there:
        piccolo("migrations", "forwards", app, database_url=url)
    await fetch(url, "CREATE TABLE public.kept (note text)")
    await fetch(url, "INSERT INTO public.kept VALUES ('stored before')")

    result = migrate(url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "schema snapshot" not in result.stdout
    assert "Applying" in result.stdout
    assert [row["note"] for row in await fetch(url, "SELECT note FROM kept")] == [
        "stored before"
    ]
    reference = await make_empty_database()
    piccolo("migrations", "forwards", "all", database_url=reference)
    assert await catalogue(url) == await catalogue(reference)
    assert sorted(await applied(url)) == sorted(await applied(reference))


async def test_migrators_started_together_create_it_once(
    empty_database: str,
) -> None:
    results = await asyncio.gather(
        *(asyncio.to_thread(migrate, empty_database) for _ in range(3))
    )
    assert [result.returncode for result in results] == [0, 0, 0]
    outputs = [result.stdout for result in results]
    assert [FROM_SNAPSHOT in output for output in outputs].count(True) == 1, outputs
    assert ["up to date" in output for output in outputs].count(True) == 2, outputs
    ran = await applied(empty_database)
    assert sorted(ran) == sorted(committed_migrations())


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param("CREATE TABLE public.half (id int);\nSELECT 1/0;", id="failing"),
        pytest.param(
            "CREATE TABLE public.migration (id serial, name varchar(200),"
            " app_name varchar(200), ran_on timestamp);\n"
            "INSERT INTO public.migration (name, app_name)"
            " VALUES ('1999-01-01T00:00:00', 'auth');",
            id="of-other-code",
        ),
    ],
)
async def test_a_snapshot_that_does_not_apply_changes_nothing(
    broken: str, empty_database: str
) -> None:
    assert await load_snapshot(empty_database, broken) == 0
    tables = "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
    assert await fetch(empty_database, tables) == []


def test_only_what_pg_dump_adds_is_left_out() -> None:
    dump = "\n".join(
        [
            "--",
            "-- PostgreSQL database dump",
            "--",
            "\\restrict abc",
            "SET statement_timeout = 0;",
            "SELECT pg_catalog.set_config('search_path', '', false);",
            "",
            "CREATE FUNCTION auth.touch() RETURNS trigger",
            "    LANGUAGE plpgsql",
            "    AS $$",
            "-- a comment of the body",
            "BEGIN",
            "UPDATE auth.users",
            "SET updated_at = now();",
            "RETURN NEW;",
            "END",
            "$$;",
            "",
            "",
            "",
            "SET default_tablespace = '';",
            "CREATE TABLE auth.t (a text DEFAULT '$x$'::text);",
            "\\unrestrict abc",
            "",
        ]
    )
    assert without_noise(dump) == "\n".join(
        [
            "CREATE FUNCTION auth.touch() RETURNS trigger",
            "    LANGUAGE plpgsql",
            "    AS $$",
            "-- a comment of the body",
            "BEGIN",
            "UPDATE auth.users",
            "SET updated_at = now();",
            "RETURN NEW;",
            "END",
            "$$;",
            "",
            "CREATE TABLE auth.t (a text DEFAULT '$x$'::text);",
            "",
        ]
    )
