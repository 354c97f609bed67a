"""The API's smoke path through a real PgBouncer in transaction mode.

PgBouncer (Debian's package) runs with `deploy/pgbouncer/pgbouncer.ini`,
pointed at the machine's PostgreSQL on loopback and squeezed to two server
connections, so requests from one app process share them. The app connects
through it with asyncpg's statement cache off; migrations go direct.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.deploy.support import PASSWORD, Api

OK = (200, 201)


@pytest.fixture(scope="module")
def app(app_behind_pgbouncer: Callable[..., Api]) -> Api:
    return app_behind_pgbouncer(pool_size=2)


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
