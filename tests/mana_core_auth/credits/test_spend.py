"""POST /credits/use: the original's answer, free credits before paid ones,
the insufficient-credits answer, strict input, usage counted per day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from credit_tables.tables import TransactionType, UsageStat
from mana_core_auth.credits.grants import grant
from tests.mana_core_auth.credits.support import (
    USE,
    CreditUser,
    balance_row,
    create_user,
    ledger,
)


def spend_body(amount: Any = 1, **extra: Any) -> dict[str, Any]:
    return {"amount": amount, "appId": "chat", "description": "a reply", **extra}


async def test_spending_answers_like_the_original(client, user: CreditUser) -> None:
    response = await client.post(
        USE, json=spend_body(10, metadata={"model": "x"}), headers=user.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    assert body["newBalance"] == {
        "balance": 0,
        "freeCreditsRemaining": 140,
        "totalSpent": 10,
    }
    transaction = body["transaction"]
    assert transaction["userId"] == str(user.id)
    assert transaction["type"] == "usage"
    assert transaction["status"] == "completed"
    assert transaction["amount"] == -10
    assert (transaction["balanceBefore"], transaction["balanceAfter"]) == (150, 140)
    assert transaction["appId"] == "chat"
    assert transaction["description"] == "a reply"
    assert transaction["metadata"] == {"model": "x"}
    assert transaction["idempotencyKey"] is None
    assert transaction["createdAt"] and transaction["completedAt"]


async def test_free_credits_are_spent_before_paid_ones(client, settings, now) -> None:
    user = await create_user(signup_bonus=10)
    await grant(user.id, 100, reason="bought", now=now, settings=settings)

    first = await client.post(USE, json=spend_body(4), headers=user.headers)
    assert first.json()["newBalance"] == {
        "balance": 100,
        "freeCreditsRemaining": 6,
        "totalSpent": 4,
    }
    second = await client.post(USE, json=spend_body(10), headers=user.headers)
    assert second.json()["newBalance"] == {
        "balance": 96,
        "freeCreditsRemaining": 0,
        "totalSpent": 14,
    }
    rows = await ledger(user.id)
    assert [(r["amount"], r["free_amount"]) for r in rows[-2:]] == [(-4, -4), (-10, -6)]


async def test_insufficient_credits_is_the_original_400_and_changes_nothing(
    client,
) -> None:
    user = await create_user(signup_bonus=5)
    before = await balance_row(user.id)

    response = await client.post(USE, json=spend_body(6), headers=user.headers)

    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Insufficient credits"
    assert body["code"] == "INSUFFICIENT_CREDITS"
    assert body["statusCode"] == 400
    assert await balance_row(user.id) == before
    assert len(await ledger(user.id)) == 1  # the signup bonus only


async def test_the_whole_balance_can_be_spent(client) -> None:
    user = await create_user(signup_bonus=5)
    response = await client.post(USE, json=spend_body(5), headers=user.headers)
    assert response.status_code == 201
    assert response.json()["newBalance"]["freeCreditsRemaining"] == 0


@pytest.mark.parametrize(
    "amount", [0, -1, 1.5, 1.0, "1", True, None, 1_000_001, 2**63, [1]]
)
async def test_amounts_are_strict_positive_integers(
    client, user: CreditUser, amount: Any
) -> None:
    response = await client.post(USE, json=spend_body(amount), headers=user.headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 1, "description": "no app"},
        {"amount": 1, "appId": "", "description": "empty app"},
        {"amount": 1, "appId": 7, "description": "numeric app"},
        {"amount": 1, "appId": "chat"},
        {**spend_body(), "unexpected": True},
        {**spend_body(), "metadata": ["not", "an", "object"]},
        {**spend_body(), "idempotencyKey": ""},
        {**spend_body(), "idempotencyKey": "k" * 256},
    ],
)
async def test_malformed_bodies_are_refused(
    client, user: CreditUser, body: dict[str, Any]
) -> None:
    response = await client.post(USE, json=body, headers=user.headers)
    assert response.status_code == 400, response.text
    assert len(await ledger(user.id)) == 1


async def test_spending_needs_a_live_access_token(client) -> None:
    response = await client.post(USE, json=spend_body())
    assert response.status_code == 401
    response = await client.post(
        USE, json=spend_body(), headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401


async def test_usage_is_counted_once_per_user_app_and_day(
    client, user: CreditUser
) -> None:
    for amount, app_id in [(2, "chat"), (3, "chat"), (4, "picture")]:
        response = await client.post(
            USE,
            json={"amount": amount, "appId": app_id, "description": "x"},
            headers=user.headers,
        )
        assert response.status_code == 201
    rows = await UsageStat.select(
        UsageStat.app_id, UsageStat.date, UsageStat.credits_used
    ).where(UsageStat.user == user.id)
    today = datetime.now(UTC).date()
    assert sorted((r["app_id"], r["date"], r["credits_used"]) for r in rows) == [
        ("chat", today, 5),
        ("picture", today, 4),
    ]


async def test_a_user_without_a_balance_gets_one_on_first_spend(client) -> None:
    """Users made by an operator in the admin, or imported, have no balance
    yet (the original answered 404 here)."""
    user = await create_user(with_balance=False)
    response = await client.post(USE, json=spend_body(3), headers=user.headers)
    assert response.status_code == 201, response.text
    assert response.json()["newBalance"]["freeCreditsRemaining"] == 147
    types = [row["type"] for row in await ledger(user.id)]
    assert types == [TransactionType.bonus, TransactionType.usage]
