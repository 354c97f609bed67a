"""Spending with a service key under concurrency, through the HTTP API with
real commits on separate pooled connections: the same guarantees as with
the user's own token."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.api_keys.support import USE, service_key, spend_body
from tests.mana_core_auth.credits.support import balance_row, create_user, ledger


async def test_100_concurrent_spends_of_1_with_a_service_key_on_50_credits(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    user = await create_user(signup_bonus=50)
    key = await service_key("credits:spend")
    body = spend_body(1, userId=str(user.id))

    responses = await asyncio.gather(
        *(client.post(USE, json=body, headers=key.headers) for _ in range(100))
    )

    statuses = Counter(response.status_code for response in responses)
    final = await balance_row(user.id)
    rows = await ledger(user.id)
    findings = (await verify_ledger(user.id)).findings
    with capsys.disabled():
        counts = ", ".join(f"{n} x {s}" for s, n in sorted(statuses.items()))
        print(
            f"\n100 concurrent spends of 1 with a service key on 50 credits: "
            f"{counts}; final balance "
            f"{final['balance'] + final['free_credits_remaining']}; "
            f"{len(rows)} ledger rows; ledger findings: {len(findings)}"
        )
    assert statuses == {201: 50, 400: 50}
    assert all(
        r.json()["code"] == "INSUFFICIENT_CREDITS"
        for r in responses
        if r.status_code == 400
    )
    assert final["balance"] == 0 and final["free_credits_remaining"] == 0
    usages = [row for row in rows if row["type"] == "usage"]
    assert len(usages) == 50
    assert {row["api_key_id"] for row in usages} == {key.id}
    assert sum(row["amount"] for row in rows) == 0
    assert findings == []


async def test_concurrent_retries_with_one_idempotency_key_spend_once(
    client: httpx.AsyncClient,
) -> None:
    user = await create_user()
    key = await service_key("credits:spend")
    body = spend_body(7, userId=str(user.id), idempotencyKey="message-42")

    responses = await asyncio.gather(
        *(client.post(USE, json=body, headers=key.headers) for _ in range(30))
    )

    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    usages = [row for row in await ledger(user.id) if row["type"] == "usage"]
    assert len(usages) == 1
    assert (await balance_row(user.id))["free_credits_remaining"] == 143
    assert (await verify_ledger(user.id)).findings == []
