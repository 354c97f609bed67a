"""`docker-entrypoint.sh` run on the host against the machine's PostgreSQL."""

from __future__ import annotations

import re
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.deploy.support import (
    ROOT,
    STARTUP_LINES,
    Server,
    database_url,
    http_status,
    run_sql,
)

APPLIED = "SELECT app_name, name, ran_on FROM migration ORDER BY id"
BROKEN_ID = "2099-12-31T23:59:59:999999"
BROKEN_MIGRATION = """\
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "{id}"
VERSION = "1.38.0"
DESCRIPTION = "deliberately broken: creates a table, then fails"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="{app}")

    async def run():
        await RawTable.raw("CREATE TABLE public.half_applied (id integer)")
        await RawTable.raw("SELECT 1 / 0")

    manager.add_raw(run)
    return manager
"""


def startup_lines(server: Server) -> list[str]:
    return [line.strip() for line in server.lines if line.strip() in STARTUP_LINES]


def throwaway_copy(destination: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".git", ".venv", ".data", ".env", "__pycache__", "*_cache", "tests", "bench"
    )
    return Path(shutil.copytree(ROOT, destination / "repo", ignore=ignore))


def add_broken_migration(root: Path) -> None:
    folder = root / "credit_tables" / "piccolo_migrations"
    config = (folder.parent / "piccolo_app.py").read_text()
    app = re.search(r'app_name\s*=\s*"(\w+)"', config)
    assert app, "credit_tables/piccolo_app.py names no app"
    module = folder / f"{app[1]}_2099_12_31t23_59_59_999999.py"
    module.write_text(BROKEN_MIGRATION.format(id=BROKEN_ID, app=app[1]))


@pytest.fixture(scope="module")
def first_run(
    make_database: Callable[[], str], run_entrypoint: Callable[..., Server]
) -> tuple[str, Server]:
    database = make_database()
    server = run_entrypoint(database)
    server.wait_ready()
    server.stop()
    return database, server


def test_first_run_migrates_and_serves(first_run: tuple[str, Server]) -> None:
    database, server = first_run

    assert startup_lines(server) == list(STARTUP_LINES)
    assert run_sql(database_url(database), APPLIED)
    schemas = run_sql(
        database_url(database),
        "SELECT nspname FROM pg_namespace WHERE nspname IN ('auth', 'credits')",
    )
    assert {row["nspname"] for row in schemas} == {"auth", "credits"}


def test_second_run_is_a_noop(
    first_run: tuple[str, Server], run_entrypoint: Callable[..., Server]
) -> None:
    database, _ = first_run
    before = run_sql(database_url(database), APPLIED)

    server = run_entrypoint(database)
    server.wait_ready()
    server.stop()

    assert startup_lines(server) == list(STARTUP_LINES)
    assert "not yet run" not in server.output
    assert run_sql(database_url(database), APPLIED) == before


def test_broken_migration_stops_before_the_server(
    make_database: Callable[[], str],
    run_entrypoint: Callable[..., Server],
    tmp_path: Path,
) -> None:
    root = throwaway_copy(tmp_path)
    add_broken_migration(root)
    database = make_database()

    server = run_entrypoint(database, root=root)

    assert server.wait_exit() != 0
    assert startup_lines(server) == ["Running database migrations..."]
    assert "division by zero" in server.output
    assert http_status(server.url("/health")) is None
    url = database_url(database)
    leftover = run_sql(url, "SELECT to_regclass('public.half_applied') AS t")
    assert leftover[0]["t"] is None
    assert BROKEN_ID not in {row["name"] for row in run_sql(url, APPLIED)}


def test_concurrent_entrypoints_migrate_once(
    make_database: Callable[[], str], run_entrypoint: Callable[..., Server]
) -> None:
    database = make_database()

    first, second = run_entrypoint(database), run_entrypoint(database)
    first.wait_ready()
    second.wait_ready()
    first.stop()
    second.stop()

    for server in (first, second):
        assert startup_lines(server) == list(STARTUP_LINES)
    assert ["not yet run" in s.output for s in (first, second)].count(True) == 1
    rows = run_sql(database_url(database), APPLIED)
    assert len(rows) == len({(row["app_name"], row["name"]) for row in rows})


def _raw_answer(port: int, request: bytes) -> bytes:
    """The server's answer to `request`, sent as is: its head and as much of
    the body as `Content-Length` announces, or what came before it closed
    the connection. Gives up 20 s after the last byte came."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(request)
        while True:
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                return answer or b"(no answer)"
            answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            if not chunk or (length and len(body) >= int(length[1])):
                return answer


def test_headers_are_bounded_in_the_server_and_the_app(
    first_run: tuple[str, Server], run_entrypoint: Callable[..., Server]
) -> None:
    database, _ = first_run
    server = run_entrypoint(database, MAX_HEADER_BYTES="4096")
    server.wait_ready()
    try:
        big = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n"
        answer = _raw_answer(server.port, big)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert b'"code":"REQUEST_HEADER_FIELDS_TOO_LARGE"' in answer
    finally:
        server.stop()

    # uvicorn's h11 parser stops buffering a request head that never ends at
    # the limit plus room for the request line, instead of reading on.
    h11 = run_entrypoint(database, MAX_HEADER_BYTES="4096", UVICORN_HTTP="h11")
    h11.wait_ready()
    try:
        endless = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 14000
        answer = _raw_answer(h11.port, endless)
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    finally:
        h11.stop()
