"""Idempotency keys make a spend exactly-once, per user: a retry gets the
first answer and writes nothing; the same key with another body is refused."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from credit_tables.tables import Transaction
from mana_core_auth.credits.grants import grant
from tests.mana_core_auth.credits.support import (
    USE,
    CreditUser,
    balance_row,
    create_user,
    ledger,
)


def keyed(key: str, amount: int = 7, **extra: object) -> dict[str, object]:
    return {
        "amount": amount,
        "appId": "chat",
        "description": "a reply",
        "idempotencyKey": key,
        "metadata": {"messageId": 1},
        **extra,
    }


async def test_a_retry_gets_the_first_answer_and_writes_nothing(
    client, user: CreditUser
) -> None:
    key = str(uuid.uuid4())
    first = await client.post(USE, json=keyed(key), headers=user.headers)
    assert first.status_code == 201
    after_first = await balance_row(user.id)
    rows = await ledger(user.id)

    # Spend something else in between: the replay still says what the
    # first answer said.
    other = await client.post(USE, json=keyed("other", 3), headers=user.headers)
    assert other.status_code == 201
    retry = await client.post(USE, json=keyed(key), headers=user.headers)

    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert first.json()["transaction"]["idempotencyKey"] == key
    assert len(await ledger(user.id)) == len(rows) + 1  # only "other"
    assert (await balance_row(user.id))["total_spent"] == after_first["total_spent"] + 3


async def test_the_same_key_with_another_body_is_422_and_writes_nothing(
    client, user: CreditUser
) -> None:
    key = str(uuid.uuid4())
    assert (await client.post(USE, json=keyed(key), headers=user.headers)).is_success
    rows = await ledger(user.id)

    for changed in (
        keyed(key, amount=8),
        keyed(key, appId="picture"),
        keyed(key, description="another"),
        keyed(key, metadata={"messageId": 2}),
    ):
        response = await client.post(USE, json=changed, headers=user.headers)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await ledger(user.id) == rows


async def test_50_concurrent_requests_with_one_key_write_one_row(
    client, user: CreditUser
) -> None:
    key = str(uuid.uuid4())
    responses = await asyncio.gather(
        *(client.post(USE, json=keyed(key), headers=user.headers) for _ in range(50))
    )

    assert Counter(r.status_code for r in responses) == {201: 50}
    assert len({r.text for r in responses}) == 1  # every answer is the same
    keyed_rows = await Transaction.count().where(
        (Transaction.user == user.id) & (Transaction.idempotency_key == key)
    )
    assert keyed_rows == 1
    assert (await balance_row(user.id))["free_credits_remaining"] == 150 - 7


async def test_keys_belong_to_one_user(client, user: CreditUser) -> None:
    """The original returned A's transaction to B for A's key, and did not
    charge B."""
    other = await create_user()
    key = str(uuid.uuid4())
    mine = await client.post(USE, json=keyed(key), headers=user.headers)
    theirs = await client.post(USE, json=keyed(key), headers=other.headers)

    assert mine.status_code == theirs.status_code == 201
    assert theirs.json()["transaction"]["userId"] == str(other.id)
    assert theirs.json()["transaction"]["id"] != mine.json()["transaction"]["id"]
    assert (await balance_row(other.id))["free_credits_remaining"] == 143


async def test_a_refused_spend_does_not_use_up_its_key(client, settings, now) -> None:
    """Nothing is written for an insufficient-credits answer, so the same
    request may succeed once the user has credits."""
    user = await create_user(signup_bonus=5)
    key = str(uuid.uuid4())
    refused = await client.post(USE, json=keyed(key), headers=user.headers)
    assert refused.status_code == 400

    await grant(user.id, 10, reason="top up", now=now, settings=settings)
    accepted = await client.post(USE, json=keyed(key), headers=user.headers)
    assert accepted.status_code == 201
    again = await client.post(USE, json=keyed(key), headers=user.headers)
    assert again.json() == accepted.json()
