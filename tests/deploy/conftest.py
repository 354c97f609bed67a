"""Throwaway databases on the machine's PostgreSQL (127.0.0.1:5432, user
postgres) and processes started on loopback; tests skip without PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.deploy.support import (
    POSTGRES_URL,
    ROOT,
    Server,
    app_env,
    database_url,
    free_port,
    run_sql,
    start,
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
