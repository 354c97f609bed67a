"""Refunding a usage: service or admin tokens only, once, back into the
pools the usage took from, and off that day's usage count."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from auth_tables.tables import Role
from credit_tables.tables import UsageStat
from mana_core_auth.credits.grants import grant
from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.credits.support import (
    USE,
    CreditUser,
    balance_row,
    create_user,
    ledger,
)


def refund_path(transaction_id: object) -> str:
    return f"/api/v1/credits/transactions/{transaction_id}/refund"


async def spent(client, user: CreditUser, amount: int) -> str:
    response = await client.post(
        USE,
        json={"amount": amount, "appId": "chat", "description": "a reply"},
        headers=user.headers,
    )
    assert response.status_code == 201
    transaction_id: str = response.json()["transaction"]["id"]
    return transaction_id


async def test_a_service_refunds_a_usage_once(
    client, service: CreditUser, settings, now
) -> None:
    user = await create_user(signup_bonus=10)
    await grant(user.id, 20, reason="bought", now=now, settings=settings)
    usage_id = await spent(client, user, 15)  # 10 free + 5 paid

    response = await client.post(
        refund_path(usage_id), json={"reason": "model failed"}, headers=service.headers
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["transaction"]["type"] == "refund"
    assert body["transaction"]["amount"] == 15
    assert body["transaction"]["refundOf"] == usage_id
    assert body["transaction"]["description"] == "model failed"
    assert body["newBalance"] == {
        "balance": 20,
        "freeCreditsRemaining": 10,
        "totalSpent": 0,
    }
    stat = await UsageStat.select(UsageStat.credits_used).where(
        UsageStat.user == user.id
    )
    assert stat == [{"credits_used": 0}]

    again = await client.post(
        refund_path(usage_id), json={"reason": "again"}, headers=service.headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "ALREADY_REFUNDED"
    assert (await verify_ledger(user.id)).findings == []


async def test_concurrent_refunds_of_one_usage_refund_once(
    client, service: CreditUser
) -> None:
    user = await create_user()
    usage_id = await spent(client, user, 5)

    responses = await asyncio.gather(
        *(
            client.post(
                refund_path(usage_id), json={"reason": "x"}, headers=service.headers
            )
            for _ in range(10)
        )
    )

    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}
    assert (await balance_row(user.id))["free_credits_remaining"] == 150
    assert (await verify_ledger(user.id)).findings == []


async def test_an_admin_token_may_refund(client) -> None:
    admin = await create_user(role=Role.admin)
    user = await create_user()
    usage_id = await spent(client, user, 5)
    response = await client.post(
        refund_path(usage_id), json={"reason": "support"}, headers=admin.headers
    )
    assert response.status_code == 201


async def test_users_cannot_refund_their_own_usage(client, user: CreditUser) -> None:
    usage_id = await spent(client, user, 5)
    response = await client.post(
        refund_path(usage_id), json={"reason": "please"}, headers=user.headers
    )
    assert response.status_code == 403
    assert len(await ledger(user.id)) == 2


async def test_only_usages_can_be_refunded(client, service: CreditUser) -> None:
    user = await create_user()
    (bonus,) = await ledger(user.id)
    response = await client.post(
        refund_path(bonus["id"]), json={"reason": "x"}, headers=service.headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "NOT_REFUNDABLE"

    usage_id = await spent(client, user, 5)
    refund = await client.post(
        refund_path(usage_id), json={"reason": "x"}, headers=service.headers
    )
    refund_id = refund.json()["transaction"]["id"]
    response = await client.post(
        refund_path(refund_id), json={"reason": "x"}, headers=service.headers
    )
    assert response.json()["code"] == "NOT_REFUNDABLE"


async def test_unknown_transactions_are_404(client, service: CreditUser) -> None:
    response = await client.post(
        refund_path(uuid.uuid4()), json={"reason": "x"}, headers=service.headers
    )
    assert response.status_code == 404
    assert response.json()["code"] == "TRANSACTION_NOT_FOUND"


async def test_a_refund_needs_a_reason(client, service: CreditUser) -> None:
    user = await create_user()
    usage_id = await spent(client, user, 5)
    # NUL: PostgreSQL text cannot hold it.
    for body in ({}, {"reason": ""}, {"reason": "a\x00b"}):
        response = await client.post(
            refund_path(usage_id), json=body, headers=service.headers
        )
        assert response.status_code == 400
