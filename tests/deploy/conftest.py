"""Throwaway databases on the machine's PostgreSQL (127.0.0.1:5432, user
postgres) and processes started on loopback; tests skip without PostgreSQL."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.deploy.support import (
    PASSWORD,
    POSTGRES_URL,
    ROOT,
    Api,
    Server,
    app_env,
    database_url,
    free_port,
    pgbouncer_binary,
    pgbouncer_config,
    run_sql,
    start,
    wait_for_port,
)


@pytest.fixture(scope="session")
def postgres() -> str:
    try:
        run_sql(POSTGRES_URL, "SELECT 1")
    except (OSError, asyncpg.PostgresError) as error:
        pytest.skip(f"needs PostgreSQL at 127.0.0.1:5432, user postgres: {error}")
    return POSTGRES_URL


@pytest.fixture(scope="module")
def make_database(postgres: str) -> Iterator[Callable[[], str]]:
    """Create empty databases with random names; drop them after the module."""
    names: list[str] = []

    def make() -> str:
        name = f"mca_deploy_{secrets.token_hex(6)}"
        run_sql(postgres, f'CREATE DATABASE "{name}"')
        names.append(name)
        return name

    yield make
    for name in names:
        run_sql(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def servers() -> Iterator[list[Server]]:
    """Processes started in a module; any still running are stopped after it."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def run_entrypoint(
    servers: list[Server],
) -> Callable[..., Server]:
    """Start `docker-entrypoint.sh` on the host, as the image does, on loopback."""

    def run(database: str, *, root: Path = ROOT, **settings: str) -> Server:
        port = free_port()
        env = app_env(
            HOST="127.0.0.1", PORT=str(port), DATABASE_URL=database_url(database)
        )
        env.update(settings)
        server = start(
            ["sh", str(root / "docker-entrypoint.sh")], env=env, port=port, cwd=root
        )
        servers.append(server)
        return server

    return run


@pytest.fixture(scope="module")
def run_pgbouncer(postgres: str) -> Iterator[Callable[[int], int]]:
    """Start PgBouncer (transaction pooling, `deploy/pgbouncer/pgbouncer.ini`)
    in front of the machine's PostgreSQL with `pool_size` server connections
    per database; answers its port. Stopped and removed after the module."""
    started: list[tuple[Server, Path]] = []

    def run(pool_size: int) -> int:
        binary = pgbouncer_binary()
        directory = Path(tempfile.mkdtemp(prefix="mca-pgbouncer-"))
        port = free_port()
        ini = pgbouncer_config(directory, port, pool_size=pool_size)
        # PgBouncer refuses to run as root.
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        server = start(
            [binary, *user, str(ini)], env=dict(os.environ), port=port, cwd=directory
        )
        started.append((server, directory))
        wait_for_port(server)
        return port

    yield run
    for server, directory in started:
        server.stop()
        shutil.rmtree(directory)


@pytest.fixture(scope="module")
def app_behind_pgbouncer(
    run_pgbouncer: Callable[[int], int],
    make_database: Callable[[], str],
    run_entrypoint: Callable[..., Server],
) -> Iterator[Callable[..., Api]]:
    """Start the app on a new database through its own PgBouncer with
    `pool_size` server connections and asyncpg's statement cache off;
    migrations go direct. `settings` are more environment for the app."""
    clients: list[Api] = []

    def run(*, pool_size: int, **settings: str) -> Api:
        port = run_pgbouncer(pool_size)
        database = make_database()
        server = run_entrypoint(
            database,
            DATABASE_URL=database_url(database, port=port, password=PASSWORD),
            DATABASE_STATEMENT_CACHE_SIZE="0",
            MIGRATION_DATABASE_URL=database_url(database),
            **settings,
        )
        server.wait_ready()
        client = Api(server, database)
        clients.append(client)
        return client

    yield run
    for client in clients:
        client.close()
        client.server.stop()
