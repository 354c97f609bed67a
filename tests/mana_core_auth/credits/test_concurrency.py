"""Concurrent requests on one balance, through the HTTP API with real
commits on separate pooled connections: they serialise on the balance row,
so no debit is lost, doubled or undone."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.credits.support import (
    BALANCE,
    USE,
    balance_row,
    create_user,
    ledger,
    move_last_daily_grant,
)


def body(amount: int = 1) -> dict[str, object]:
    return {"amount": amount, "appId": "chat", "description": "concurrent"}


async def test_100_concurrent_spends_of_1_on_50_credits(
    client, capsys: pytest.CaptureFixture[str]
) -> None:
    user = await create_user(signup_bonus=50)

    responses = await asyncio.gather(
        *(client.post(USE, json=body(), headers=user.headers) for _ in range(100))
    )

    statuses = Counter(response.status_code for response in responses)
    final = await balance_row(user.id)
    counts = ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))
    with capsys.disabled():
        print(
            f"\n100 concurrent spends of 1 on 50 credits: {counts}; final balance "
            f"{final['balance'] + final['free_credits_remaining']}"
        )
    assert statuses == {201: 50, 400: 50}
    assert all(
        r.json()["message"] == "Insufficient credits"
        for r in responses
        if r.status_code == 400
    )
    assert final["balance"] == 0 and final["free_credits_remaining"] == 0
    rows = await ledger(user.id)
    assert len(rows) == 51  # the signup bonus and 50 usages
    assert sum(row["amount"] for row in rows) == 0
    after = sorted(
        r.json()["newBalance"]["freeCreditsRemaining"]
        for r in responses
        if r.status_code == 201
    )
    assert after == list(range(50))  # each answer saw its own debit
    assert (await verify_ledger(user.id)).findings == []


async def test_daily_grant_after_a_day_change_happens_once_under_load(
    client,
) -> None:
    """The original granted twice on concurrent reads and, racing spends,
    wrote back balances that undid debits."""
    user = await create_user(signup_bonus=20)
    await move_last_daily_grant(user.id, days=1)

    requests = [client.get(BALANCE, headers=user.headers) for _ in range(20)] + [
        client.post(USE, json=body(), headers=user.headers) for _ in range(20)
    ]
    responses = await asyncio.gather(*requests)

    assert {response.status_code for response in responses} == {200, 201}
    rows = await ledger(user.id)
    grants = [row for row in rows if row["description"] == "Daily free credits"]
    assert len(grants) == 1 and grants[0]["amount"] == 5
    final = await balance_row(user.id)
    assert final["free_credits_remaining"] == 20 + 5 - 20
    assert final["total_earned"] == 25 and final["total_spent"] == 20
    assert (await verify_ledger(user.id)).findings == []


async def test_concurrent_spends_across_free_and_paid_credits_add_up(
    client, settings, now
) -> None:
    from mana_core_auth.credits.grants import grant

    user = await create_user(signup_bonus=30)
    await grant(user.id, 40, reason="bought", now=now, settings=settings)

    responses = await asyncio.gather(
        *(client.post(USE, json=body(3), headers=user.headers) for _ in range(30))
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 23, 400: 7}  # 70 // 3
    final = await balance_row(user.id)
    assert (final["balance"], final["free_credits_remaining"]) == (1, 0)
    assert (await verify_ledger(user.id)).findings == []
