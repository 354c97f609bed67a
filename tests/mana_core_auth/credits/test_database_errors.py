"""A spend whose database connection breaks answers 503 with the envelope
(retry with the same idempotency key), never 500.

The errors are the ones seen while PostgreSQL restarted under load
(tests/deploy/test_database_restart.py): the pooled connection is closed in
the middle of the statement, the server refuses new connections while
shutting down, or asyncpg finds the connection still busy with the server's
last error ("cannot switch to state N ...", asyncpg issues #784 and #1069),
which answered 500 before it counted as the database being unavailable.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from mana_core_auth.credits import spending
from tests.mana_core_auth.credits.support import USE, CreditUser, balance_row

BROKEN_CONNECTION = [
    asyncpg.exceptions.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress"
    ),
    asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    ),
    asyncpg.exceptions.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"
    ),
    asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    FileNotFoundError(2, "No such file or directory"),
]


@pytest.mark.parametrize("error", BROKEN_CONNECTION, ids=repr)
async def test_a_broken_connection_answers_503(
    client, user: CreditUser, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    async def broken(*args: Any) -> None:
        raise error

    monkeypatch.setattr(spending, "fetch_one", broken)
    before = await balance_row(user.id)
    body = {"amount": 1, "appId": "chat", "description": "x", "idempotencyKey": "k"}

    response = await client.post(USE, json=body, headers=user.headers)

    assert response.status_code == 503, response.text
    answer = response.json()
    assert answer["statusCode"] == 503
    assert answer["code"] == "DATABASE_UNAVAILABLE"
    assert answer["path"] == USE
    assert "state" not in answer["message"] and "asyncpg" not in response.text
    assert response.headers["Retry-After"] == "1"
    assert await balance_row(user.id) == before
