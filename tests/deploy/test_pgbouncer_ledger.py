"""The ledger's race tests through a real PgBouncer in transaction mode.

Two uvicorn workers (ten pooled connections each) share four PgBouncer
server connections, with asyncpg's statement cache off, so concurrent
requests queue in PgBouncer and consecutive statements of one worker run on
different server connections. The answers must be the same as in process
(tests/mana_core_auth/credits/test_concurrency.py, test_idempotency.py,
tests/mana_core_auth/auth/test_refresh.py); afterwards `piccolo mana
verify_ledger`, run directly against PostgreSQL, finds nothing.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from tests.database import piccolo
from tests.deploy.support import PASSWORD, Api, database_url, run_sql

USE = "/api/v1/credits/use"
REFRESH = "/api/v1/auth/refresh"
SIGNUP_BONUS = 50


@pytest.fixture(scope="module")
def app(app_behind_pgbouncer: Callable[..., Api]) -> Api:
    return app_behind_pgbouncer(
        pool_size=4,
        WEB_CONCURRENCY="2",
        CREDITS_SIGNUP_BONUS=str(SIGNUP_BONUS),
        # No daily grant, should the test run across midnight UTC.
        CREDITS_DAILY_FREE="0",
    )


def sql(app: Api, query: str, *args: object) -> list[Any]:
    """Straight to PostgreSQL, not through PgBouncer."""
    return run_sql(database_url(app.database), query, *args)


def log_in(app: Api) -> dict[str, Any]:
    """A new user with the signup bonus; the login's answer."""
    credentials = {
        "email": f"ledger-{secrets.token_hex(6)}@example.com",
        "password": PASSWORD,
    }
    app.answer(app.post("/api/v1/auth/register", json=credentials), 201)
    return app.answer(app.post("/api/v1/auth/login", json=credentials), 200)


def bearer(login: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {login['accessToken']}"}


def concurrently(
    app: Api, n: int, path: str, body: dict[str, Any], headers: dict[str, str]
) -> list[httpx.Response]:
    """`n` POSTs of one body, all sent at once, each on its own connection."""

    async def send() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=str(app.base_url), timeout=60, limits=limits
        ) as client:
            return await asyncio.gather(
                *(client.post(path, json=body, headers=headers) for _ in range(n))
            )

    return asyncio.run(send())


def tally(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def show(statuses: Counter[int]) -> str:
    return ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))


def test_100_concurrent_spends_of_1_on_50_credits(
    app: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    login = log_in(app)
    user_id = uuid.UUID(login["user"]["id"])
    body = {"amount": 1, "appId": "pgbouncer-ledger", "description": "concurrent"}

    responses = concurrently(app, 100, USE, body, bearer(login))

    statuses = tally(responses)
    [final] = sql(
        app,
        "SELECT balance, free_credits_remaining FROM credits.balances "
        "WHERE user_id = $1",
        user_id,
    )
    [ledger] = sql(
        app,
        "SELECT count(*) AS rows, coalesce(sum(amount), 0) AS total "
        "FROM credits.transactions WHERE user_id = $1 AND status = 'completed'",
        user_id,
    )
    left = final["balance"] + final["free_credits_remaining"]
    with capsys.disabled():
        print(
            f"\nthrough pgbouncer, 100 concurrent spends of 1 on {SIGNUP_BONUS} "
            f"credits: {show(statuses)}; final balance {left}, ledger "
            f"{ledger['rows']} rows summing to {ledger['total']}"
        )
    assert statuses == {201: 50, 400: 50}, app.server.output[-4000:]
    refused = [r.json() for r in responses if r.status_code == 400]
    assert {(r["code"], r["message"]) for r in refused} == {
        ("INSUFFICIENT_CREDITS", "Insufficient credits")
    }
    assert left == 0
    assert ledger["rows"] == 1 + 50  # the signup bonus and 50 usages
    assert ledger["total"] == left
    after = sorted(
        r.json()["newBalance"]["freeCreditsRemaining"]
        for r in responses
        if r.status_code == 201
    )
    assert after == list(range(50)), "each answer saw its own debit"
    assert app.server.output.count("Started server process") == 2, "two workers"
    [backends] = sql(
        app,
        "SELECT count(*) FILTER (WHERE application_name <> $2) AS n, "
        "count(*) FILTER (WHERE application_name = $2) AS listeners "
        "FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        app.database,
        "mana-core-auth-revocations",
    )
    assert 1 <= backends["n"] <= 4, "PgBouncer's four server connections at most"
    # Besides, each worker listens for ended sessions on a connection of its
    # own, past PgBouncer (MIGRATION_DATABASE_URL).
    assert backends["listeners"] == 2


def test_50_concurrent_requests_with_one_key_write_one_row(
    app: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    login = log_in(app)
    user_id = uuid.UUID(login["user"]["id"])
    key = str(uuid.uuid4())
    body = {
        "amount": 7,
        "appId": "pgbouncer-ledger",
        "description": "one reply",
        "idempotencyKey": key,
        "metadata": {"messageId": 1},
    }

    responses = concurrently(app, 50, USE, body, bearer(login))

    statuses = tally(responses)
    keyed = sql(
        app,
        "SELECT id FROM credits.transactions "
        "WHERE user_id = $1 AND idempotency_key = $2",
        user_id,
        key,
    )
    distinct = {r.text for r in responses if r.status_code == 201}
    with capsys.disabled():
        print(
            f"\nthrough pgbouncer, 50 concurrent requests with one key: "
            f"{show(statuses)}; {len(distinct)} distinct answer(s), "
            f"{len(keyed)} ledger row(s) with the key"
        )
    # Concurrent requests with one key wait for the first one's row lock and
    # then replay its answer; 409 is not part of this service's behaviour.
    assert statuses == {201: 50}, app.server.output[-4000:]
    assert len(distinct) == 1, "every answer is the same replay"
    assert len(keyed) == 1
    assert responses[0].json()["transaction"]["id"] == str(keyed[0]["id"])
    [balance] = sql(
        app,
        "SELECT free_credits_remaining FROM credits.balances WHERE user_id = $1",
        user_id,
    )
    assert balance["free_credits_remaining"] == SIGNUP_BONUS - 7


def test_20_concurrent_refreshes_make_one_successor_and_keep_the_session(
    app: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    login = log_in(app)
    claims = jwt.decode(login["accessToken"], options={"verify_signature": False})
    family = uuid.UUID(claims["sessionId"])

    responses = concurrently(
        app, 20, REFRESH, {"refreshToken": login["refreshToken"]}, {}
    )

    statuses = tally(responses)
    [sessions] = sql(
        app, "SELECT count(*) AS n FROM auth.sessions WHERE family_id = $1", family
    )
    successors = sessions["n"] - 1
    given = {r.json()["refreshToken"] for r in responses if r.status_code == 200}
    with capsys.disabled():
        print(
            f"\nthrough pgbouncer, 20 concurrent refreshes of one token: "
            f"{show(statuses)}; {len(given)} distinct refresh token(s), "
            f"{successors} successor session(s)"
        )
    # Within the grace window every answer is the one successor (or a 401
    # that ended nothing), and the session goes on.
    assert set(statuses) <= {200, 401}, app.server.output[-4000:]
    assert len(given) == 1 and successors == 1
    onward = app.post(REFRESH, json={"refreshToken": given.pop()})
    assert onward.status_code == 200, onward.text


def test_the_ledger_verifies_directly_against_postgresql(
    app: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    """Last in the module: checks what the tests above wrote."""
    result = piccolo(
        "mana", "verify_ledger", database_url=database_url(app.database), check=False
    )
    with capsys.disabled():
        print(f"\npiccolo mana verify_ledger: {result.stdout.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout
