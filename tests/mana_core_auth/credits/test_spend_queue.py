"""One user's spends take turns in the process: in the order they came, one
at a time on the database, and a spend that waits past the lock timeout
answers 503 having changed nothing."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from mana_core_auth.credits import spend_queue, spending
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.credits.verification import verify_ledger
from mana_core_auth.settings import Settings
from tests.mana_core_auth.credits.support import (
    USE,
    CreditUser,
    balance_row,
    create_user,
    ledger,
)


def body(description: str = "queued", key: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "amount": 1,
        "appId": "chat",
        "description": description,
    }
    if key is not None:
        answer["idempotencyKey"] = key
    return answer


async def test_one_users_spends_reach_the_database_one_at_a_time_in_order(
    client, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await create_user(signup_bonus=100)
    other = await create_user(signup_bonus=100)
    statement = spending.fetch_one
    running: dict[uuid.UUID, int] = {user.id: 0, other.id: 0}
    most: dict[uuid.UUID, int] = {user.id: 0, other.id: 0}

    async def counted(sql: str, *args: Any) -> Any:
        owner = args[0]
        running[owner] += 1
        most[owner] = max(most[owner], running[owner])
        try:
            await asyncio.sleep(0.002)  # long enough for the others to pile up
            return await statement(sql, *args)
        finally:
            running[owner] -= 1

    monkeypatch.setattr(spending, "fetch_one", counted)

    async def spend(who: CreditUser, i: int) -> Any:
        return await client.post(USE, json=body(f"#{i}"), headers=who.headers)

    # Sent in order, each only once the one before it is waiting.
    tasks = []
    for i in range(30):
        tasks.append(asyncio.create_task(spend(user, i)))
        tasks.append(asyncio.create_task(spend(other, i)))
        await asyncio.sleep(0)
    responses = await asyncio.gather(*tasks)

    assert {response.status_code for response in responses} == {201}
    assert most == {user.id: 1, other.id: 1}
    usages = [row for row in await ledger(user.id) if row["type"] == "usage"]
    assert [row["description"] for row in usages] == [f"#{i}" for i in range(30)]
    assert spend_queue.users_in_flight() == 0
    for who in (user, other):
        assert (await verify_ledger(who.id)).findings == []


async def test_a_spend_waiting_past_the_lock_timeout_answers_503_and_changes_nothing(
    client, user: CreditUser, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await balance_row(user.id)
    # The one settings object the app, the API and the hot routes share.
    monkeypatch.setattr(settings, "database_lock_timeout_ms", 200)
    async with spend_queue.turn(user.id, timeout_seconds=None):
        started = time.monotonic()
        response = await client.post(USE, json=body(key="waited"), headers=user.headers)
        waited = time.monotonic() - started
    monkeypatch.undo()

    assert 0.2 <= waited < 2
    assert response.status_code == 503, response.text
    answer = response.json()
    assert answer["code"] == "BALANCE_BUSY"
    assert answer["path"] == USE
    assert response.headers["Retry-After"] == "1"
    assert await balance_row(user.id) == before
    assert spend_queue.users_in_flight() == 0

    # The same key, sent again once the balance is free, spends once.
    again = await client.post(USE, json=body(key="waited"), headers=user.headers)
    assert again.status_code == 201, again.text
    after = await balance_row(user.id)
    assert after["free_credits_remaining"] == before["free_credits_remaining"] - 1


async def test_a_spend_cancelled_while_waiting_leaves_the_queue_usable(
    app: Any, user: CreditUser, settings: Settings
) -> None:
    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with spend_queue.turn(user.id, timeout_seconds=None):
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    waiters = [
        asyncio.create_task(
            spending.spend(
                user.id,
                amount=1,
                app_id="chat",
                description=f"cancelled #{i}",
                now=utc_now(),
                settings=settings,
            )
        )
        for i in range(5)
    ]
    await asyncio.sleep(0.01)
    for waiter in waiters[:4]:
        waiter.cancel()
    release.set()
    await holder
    change = await waiters[4]

    assert [waiter.cancelled() for waiter in waiters[:4]] == [True] * 4
    assert change.transaction.description == "cancelled #4"
    assert spend_queue.users_in_flight() == 0
    usages = [row for row in await ledger(user.id) if row["type"] == "usage"]
    assert len(usages) == 1
