"""The API's smoke path through a real PgBouncer in transaction mode.

PgBouncer (Debian's package) runs with `deploy/pgbouncer/pgbouncer.ini`,
pointed at the machine's PostgreSQL on loopback and squeezed to two server
connections, so requests from one app process share them. The app connects
through it with asyncpg's statement cache off; migrations go direct.
"""

from __future__ import annotations

import configparser
import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.support import ROOT, Server, database_url, free_port, start

PASSWORD = "correct-horse-battery-staple-42"
PGBOUNCER_INI = ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini"
OK = (200, 201)


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if found is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    return found


def wait_for_port(server: Server, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"pgbouncer exited:\n{server.output}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", server.port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"pgbouncer did not listen within {timeout} s:\n{server.output}")


def pgbouncer_config(directory: Path, port: int) -> Path:
    """The deployed config, with only addresses, port and auth file changed."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(PGBOUNCER_INI)
    assert config["pgbouncer"]["pool_mode"] == "transaction"
    config["databases"] = {"*": "host=127.0.0.1 port=5432"}
    config["pgbouncer"].update(
        listen_addr="127.0.0.1",
        listen_port=str(port),
        auth_file=str(directory / "userlist.txt"),
        default_pool_size="2",
        reserve_pool_size="0",
    )
    (directory / "userlist.txt").write_text(f'"postgres" "{PASSWORD}"\n')
    path = directory / "pgbouncer.ini"
    with path.open("w") as file:
        config.write(file)
    for item in (directory, *directory.iterdir()):
        item.chmod(0o755 if item.is_dir() else 0o644)
    return path


@pytest.fixture(scope="module")
def pgbouncer(postgres: str) -> Iterator[int]:
    binary = pgbouncer_binary()
    directory = Path(tempfile.mkdtemp(prefix="mca-pgbouncer-"))
    port = free_port()
    ini = pgbouncer_config(directory, port)
    # PgBouncer refuses to run as root.
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    server = start(
        [binary, *user, str(ini)], env=dict(os.environ), port=port, cwd=directory
    )
    try:
        wait_for_port(server)
        yield port
    finally:
        server.stop()
        shutil.rmtree(directory)


class Api(httpx.Client):
    """A client of the app that shows the app's log when an answer is wrong."""

    def __init__(self, server: Server) -> None:
        super().__init__(base_url=server.url(""), timeout=30)
        self.server = server

    def answer(self, response: httpx.Response, *statuses: int) -> dict[str, Any]:
        request = response.request
        if response.status_code == 404:
            pytest.skip(f"{request.method} {request.url.path} answers 404: not built")
        assert response.status_code in statuses, (
            f"{request.method} {request.url.path}: {response.text}\n"
            f"app log:\n{self.server.output[-4000:]}"
        )
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture(scope="module")
def app(
    pgbouncer: int,
    make_database: Callable[[], str],
    run_entrypoint: Callable[..., Server],
) -> Iterator[Api]:
    database = make_database()
    server = run_entrypoint(
        database,
        DATABASE_URL=database_url(database, port=pgbouncer, password=PASSWORD),
        DATABASE_STATEMENT_CACHE_SIZE="0",
        MIGRATION_DATABASE_URL=database_url(database),
    )
    server.wait_ready()
    with Api(server) as api:
        yield api
    server.stop()


def total(balance: dict[str, Any]) -> int:
    return int(balance["balance"]) + int(balance["freeCreditsRemaining"])


def test_register_login_spend_balance(app: Api) -> None:
    email = f"smoke-{secrets.token_hex(6)}@example.com"
    credentials = {"email": email, "password": PASSWORD}
    app.answer(
        app.post("/api/v1/auth/register", json={**credentials, "name": "Smoke"}), 201
    )
    login = app.answer(app.post("/api/v1/auth/login", json=credentials), 200)
    headers = {"Authorization": f"Bearer {login['accessToken']}"}
    before = app.answer(app.get("/api/v1/credits/balance", headers=headers), 200)

    key = secrets.token_hex(8)
    spend = {
        "amount": 10,
        "appId": "pgbouncer-smoke",
        "description": "smoke test through pgbouncer",
        "idempotencyKey": key,
    }
    spent = app.answer(
        app.post("/api/v1/credits/use", json=spend, headers=headers), *OK
    )
    retry = app.answer(
        app.post("/api/v1/credits/use", json=spend, headers=headers), *OK
    )
    assert spent["success"] is True
    assert retry["transaction"]["id"] == spent["transaction"]["id"]

    def spend_one(n: int) -> int:
        body = {**spend, "amount": 1, "idempotencyKey": f"{key}-{n}"}
        return app.post("/api/v1/credits/use", json=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(spend_one, range(16)))
    assert set(statuses) <= set(OK), statuses

    after = app.answer(app.get("/api/v1/credits/balance", headers=headers), 200)
    assert total(before) - total(after) == 10 + 16


def test_concurrent_queries_share_two_server_connections(app: Api) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: app.get("/ready").status_code, range(64)))
    assert statuses == [200] * 64
