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
        # PostgreSQL text and jsonb cannot hold NUL.
        {**spend_body(), "appId": "chat\x00"},
        {**spend_body(), "description": "a\x00reply"},
        {**spend_body(), "idempotencyKey": "k\x00"},
        {**spend_body(), "metadata": {"model\x00": "x"}},
        {**spend_body(), "metadata": {"model": ["x", {"y": "\x00"}]}},
    ],
)
async def test_malformed_bodies_are_refused(
    client, user: CreditUser, body: dict[str, Any]
) -> None:
    response = await client.post(USE, json=body, headers=user.headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert len(await ledger(user.id)) == 1


@pytest.mark.parametrize(
    "metadata",
    [
        '{"score": NaN}',
        '{"score": Infinity}',
        '{"score": [-Infinity]}',
        '{"score": 1e400}',
        '{"\\ud800": 1}',
        '{"model": {"name": "\\udc00"}}',
    ],
)
async def test_metadata_that_jsonb_cannot_hold_is_refused(
    client, user: CreditUser, metadata: str
) -> None:
    """Python's JSON parser takes these; PostgreSQL's jsonb refused them
    with a 500."""
    body = '{"amount": 1, "appId": "chat", "description": "x", "metadata": %s}'
    response = await client.post(
        USE,
        content=body % metadata,
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == "metadata"
    assert len(await ledger(user.id)) == 1


def nested(depth: int) -> dict[str, Any]:
    """An object with arrays in it, `depth` levels in all."""
    inner: Any = []
    for _ in range(depth - 2):
        inner = [inner]
    return {"a": inner}


async def test_metadata_nests_at_most_32_levels(client, user: CreditUser) -> None:
    """Deeper metadata (up to the parser's ~1000 levels) was spent and
    stored, but the answer, and every later list of the ledger, could not
    be serialized: 500s."""
    for depth in (33, 300):
        response = await client.post(
            USE, json=spend_body(metadata=nested(depth)), headers=user.headers
        )
        assert response.status_code == 400, response.text
        assert "32 levels" in response.json()["errors"][0]["message"]
    assert len(await ledger(user.id)) == 1

    response = await client.post(
        USE, json=spend_body(metadata=nested(32)), headers=user.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["transaction"]["metadata"] == nested(32)
    listed = await client.get("/api/v1/credits/transactions", headers=user.headers)
    assert listed.status_code == 200, listed.text


async def test_metadata_keeps_any_other_json(client, user: CreditUser) -> None:
    metadata = {"n": [1, 2.5, -3, 10**30, None, True], "é ✓ 😀": {"\\u0000": ""}}
    response = await client.post(
        USE, json=spend_body(metadata=metadata), headers=user.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["transaction"]["metadata"] == metadata


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
