"""Log lines: in production one JSON object per line, one line per request
with what an operator looks for; readable text in development; never a
password, token, hash or key."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from mana_core_auth.observability.context import request_context
from mana_core_auth.observability.log_format import (
    RequestContextFilter,
    TextFormatter,
    mask_secrets,
)
from mana_core_auth.settings import get_settings
from tests.database import PROJECT_ROOT
from tests.mana_core_auth.auth.support import new_caller
from tests.mana_core_auth.auth.test_security_events import _an_accounts_life
from tests.mana_core_auth.observability.conftest import LogLines

REQUEST_LINE_FIELDS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "method",
    "route",
    "status",
    "duration_ms",
    "client_ip",
}


def request_lines(log: LogLines) -> list[dict]:
    return [e for e in log.entries if e["logger"] == "mana_core_auth.requests"]


async def test_one_line_per_request_with_what_operators_look_for(
    client, limited_client, json_log: LogLines
) -> None:
    caller = await new_caller(client)
    async with limited_client(request_log=True) as http:
        me = await http.get(
            "/api/v1/auth/me",
            headers={**caller.headers, "X-Forwarded-For": "198.51.100.23"},
        )
        anonymous = await http.get("/api/v1/auth/me")
    assert me.status_code == 200 and anonymous.status_code == 401
    first, second = request_lines(json_log)
    assert first.keys() >= REQUEST_LINE_FIELDS
    assert first["request_id"] == me.headers["x-request-id"]
    assert (first["method"], first["route"], first["status"]) == (
        "GET",
        "/api/v1/auth/me",
        200,
    )
    assert first["client_ip"] == "198.51.100.23"  # from the trusted proxy
    assert first["user_id"] == caller.id
    assert first["level"] == "info" and first["duration_ms"] >= 0
    assert second["status"] == 401 and "user_id" not in second
    assert second["request_id"] == anonymous.headers["x-request-id"]


async def test_no_password_token_hash_or_key_in_any_line(
    limited_client, json_log: LogLines
) -> None:
    settings = get_settings()
    async with limited_client(request_log=True) as http:
        _, secrets = await _an_accounts_life(http)
    assert request_lines(json_log), "the request lines were written"
    assert settings.jwt_private_key and settings.totp_encryption_key
    secrets += [
        settings.totp_encryption_key.get_secret_value(),
        *settings.jwt_private_key.get_secret_value().splitlines()[1:-1],
    ]
    for secret in secrets:
        assert secret not in json_log.text
        for part in secret.split("."):  # a JWT's signature, payload, header
            assert len(part) < 16 or part not in json_log.text


def test_secret_shapes_are_masked_even_if_logged_by_mistake() -> None:
    text = (
        "Authorization: Bearer abc.DEF-123 then eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0."
        "c2lnbmF0dXJl and $argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA and "
        "$2b$12$" + "a" * 53
    )
    masked = mask_secrets(text)
    assert masked.count("[masked]") == 4
    for secret in ("abc.DEF-123", "eyJzdWIiOiIxIn0", "$argon2id$", "$2b$12$"):
        assert secret not in masked


def test_development_lines_are_readable_text() -> None:
    handler = logging.Handler()
    handler.addFilter(RequestContextFilter())
    formatter = TextFormatter()
    record = logging.LogRecord(
        "mana_core_auth.x", logging.INFO, "", 0, "hello", (), None
    )
    with request_context("req-1"):
        handler.filter(record)
    line = formatter.format(record)
    assert line.endswith("INFO    mana_core_auth.x [req-1] hello")
    assert not line.startswith("{")


def test_production_logs_are_json_and_uvicorn_logs_no_requests_itself() -> None:
    """In a process of its own: setting up logging changes the process."""
    script = """
import logging
from mana_core_auth.settings import Settings
from mana_core_auth.observability.log_format import configure_logging
logging.getLogger("uvicorn.access").addHandler(logging.StreamHandler())
configure_logging(Settings(environment="production"))
logging.getLogger("mana_core_auth.x").info("started with Bearer not-for-logs")
logging.getLogger("uvicorn.error").info("Started server process [1]")
print("access log on:", logging.getLogger("uvicorn.access").hasHandlers())
"""
    env = {**os.environ, "LOG_FORMAT": "auto", "REQUEST_LOG": ""}
    env.pop("REQUEST_LOG")
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(e["logger"], e["level"]) for e in lines] == [
        ("mana_core_auth.x", "info"),
        ("uvicorn.error", "info"),
    ]
    assert "not-for-logs" not in result.stderr
    assert result.stdout.strip() == "access log on: False"


async def test_hot_routes_log_and_count_under_their_route_either_way(
    client, limited_client, json_log: LogLines
) -> None:
    """Validate, balance, spending and login answered beside FastAPI
    (`hot_routes.py`) or handed on to it: one line each, under the same
    route template, with the user's id once known."""
    caller = await new_caller(client)
    async with limited_client(request_log=True) as http:
        await http.post("/api/v1/auth/validate", json={"token": caller.access_token})
        await http.post("/api/v1/auth/validate", json={"token": ""})
        await http.get("/api/v1/credits/balance", headers=caller.headers)
        await http.get("/api/v1/credits/balance")
        spend = {"amount": 1, "appId": "chat", "description": "logged"}
        await http.post("/api/v1/credits/use", json=spend, headers=caller.headers)
        await http.post("/api/v1/credits/use", json={}, headers=caller.headers)
        login = {"email": caller.email, "password": caller.password}
        await http.post("/api/v1/auth/login", json=login)
        await http.post("/api/v1/auth/login", json={**login, "password": "wrong"})
        await http.post("/api/v1/auth/login", json={"email": caller.email})
    lines = request_lines(json_log)
    assert [(line["route"], line["status"]) for line in lines] == [
        ("/api/v1/auth/validate", 200),
        ("/api/v1/auth/validate", 400),
        ("/api/v1/credits/balance", 200),
        ("/api/v1/credits/balance", 401),
        ("/api/v1/credits/use", 201),
        ("/api/v1/credits/use", 400),
        ("/api/v1/auth/login", 200),
        ("/api/v1/auth/login", 401),
        ("/api/v1/auth/login", 400),
    ]
    assert [line.get("user_id") for line in lines[4:]] == [
        caller.id,
        caller.id,
        caller.id,
        None,
        None,
    ]
