"""A revoked key is refused at once by every instance of the app: by
another app instance in this process, and by the workers of a separate
uvicorn server on the same database, with no waiting and no cache."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.database import PROJECT_ROOT, piccolo
from tests.deploy.support import Server, app_env, start
from tests.mana_core_auth.api_keys.conftest import OtherApp
from tests.mana_core_auth.api_keys.support import (
    API_KEYS,
    BALANCE,
    personal_key,
    service_key,
    spend_body,
)
from tests.mana_core_auth.credits.support import CreditUser

PORTS = range(18600, 18700)


def port_in_range() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip("no free port in 18600-18699")


@pytest.fixture(scope="module")
def two_workers(database_url: str) -> Iterator[Server]:
    """uvicorn with two worker processes on the test database, sharing only
    the database (and the configured secrets) with the test's app."""
    port = port_in_range()
    env = app_env(
        ENVIRONMENT="test",
        DATABASE_URL=database_url,
        JWT_PRIVATE_KEY=os.environ["JWT_PRIVATE_KEY"],
        TOTP_ENCRYPTION_KEY=os.environ["TOTP_ENCRYPTION_KEY"],
        DATABASE_POOL_MAX="2",
    )
    server = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        port=port,
        cwd=PROJECT_ROOT,
    )
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


async def test_another_app_instance_refuses_a_revoked_key_at_once(
    client: httpx.AsyncClient, other_app: OtherApp, user: CreditUser
) -> None:
    key = await personal_key(client, user.headers, "credits:read")
    async with other_app() as replica:
        assert (await replica.get(BALANCE, headers=key.headers)).status_code == 200
        revoked = await client.delete(f"{API_KEYS}/{key.id}", headers=user.headers)
        assert revoked.status_code == 200
        assert (await replica.get(BALANCE, headers=key.headers)).status_code == 401
    assert (await client.get(BALANCE, headers=key.headers)).status_code == 401


async def test_workers_of_another_server_refuse_a_revoked_key_at_once(
    two_workers: Server, database_url: str, user: CreditUser
) -> None:
    key = await service_key("credits:spend")
    body = spend_body(userId=str(user.id))
    async with httpx.AsyncClient(base_url=two_workers.url("/api/v1")) as server:
        # Enough requests that both workers have served the key.
        before = [
            await server.post("/credits/use", json=body, headers=key.headers)
            for _ in range(10)
        ]
        result = piccolo(
            "mana", "revoke_api_key", f"--key_id={key.id}", database_url=database_url
        )
        after = [
            await server.post("/credits/use", json=body, headers=key.headers)
            for _ in range(10)
        ]
    assert [r.status_code for r in before] == [201] * 10
    assert "Revoked service key" in result.stdout
    assert [r.status_code for r in after] == [401] * 10
    assert all(r.json()["code"] == "INVALID_API_KEY" for r in after)


def test_the_command_refuses_an_unknown_key(database_url: str) -> None:
    result = piccolo(
        "mana",
        "revoke_api_key",
        "--key_id=00000000-0000-0000-0000-000000000000",
        database_url=database_url,
        check=False,
    )
    assert result.returncode == 1
    assert "No such API key" in result.stderr
