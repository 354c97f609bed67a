"""GET /credits/balance: the original's shape, and the daily free credits
granted at most once per UTC day, as their own ledger row."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mana_core_auth.credits.daily_grant import read_balance
from mana_core_auth.credits.errors import InsufficientCredits
from mana_core_auth.credits.spending import spend
from tests.mana_core_auth.credits.support import (
    BALANCE,
    CreditUser,
    create_user,
    ledger,
    move_last_daily_grant,
)


async def test_balance_answers_like_the_original(client, user: CreditUser) -> None:
    response = await client.get(BALANCE, headers=user.headers)
    assert response.status_code == 200
    assert response.json() == {
        "balance": 0,
        "freeCreditsRemaining": 150,
        "totalEarned": 150,
        "totalSpent": 0,
        "dailyFreeCredits": 5,
    }


async def test_balance_needs_a_token(client) -> None:
    assert (await client.get(BALANCE)).status_code == 401


async def test_the_signup_bonus_row_adds_up(user: CreditUser) -> None:
    """The original wrote 0/0 as the bonus's balance before/after."""
    (bonus,) = await ledger(user.id)
    assert (bonus["type"], bonus["amount"]) == ("bonus", 150)
    assert (bonus["balance_before"], bonus["balance_after"]) == (0, 150)


async def test_daily_credits_are_granted_once_on_a_new_day(
    client, user: CreditUser
) -> None:
    same_day = await client.get(BALANCE, headers=user.headers)
    assert same_day.json()["freeCreditsRemaining"] == 150

    await move_last_daily_grant(user.id, days=1)
    first = await client.get(BALANCE, headers=user.headers)
    second = await client.get(BALANCE, headers=user.headers)

    assert first.json()["freeCreditsRemaining"] == 155
    assert first.json()["totalEarned"] == 155
    assert second.json() == first.json()
    rows = await ledger(user.id)
    assert len(rows) == 2
    daily = rows[-1]
    assert daily["type"] == "bonus" and daily["description"] == "Daily free credits"
    assert (daily["balance_before"], daily["balance_after"]) == (150, 155)
    assert daily["metadata"] == {"reason": "daily_free_credits"}


async def test_skipped_days_do_not_add_up(client, user: CreditUser) -> None:
    await move_last_daily_grant(user.id, days=10)
    response = await client.get(BALANCE, headers=user.headers)
    assert response.json()["freeCreditsRemaining"] == 155


async def test_the_day_is_the_utc_day(settings, now) -> None:
    user = await create_user()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    await move_last_daily_grant(user.id, days=0)
    # Just before midnight: still today's grant; just after: a new day.
    before = await read_balance(
        user.id, now=midnight + timedelta(days=1, microseconds=-1), settings=settings
    )
    after = await read_balance(
        user.id, now=midnight + timedelta(days=1), settings=settings
    )
    assert (before.free_credits_remaining, after.free_credits_remaining) == (150, 155)


async def test_a_spend_on_a_new_day_grants_first(settings, now) -> None:
    user = await create_user(signup_bonus=0)
    change = await spend(
        user.id,
        amount=5,
        app_id="chat",
        description="on the daily credits",
        now=now + timedelta(days=1),
        settings=settings,
    )
    assert change.transaction.balance_before == 5
    assert change.new_balance.free_credits_remaining == 0
    assert [row["type"] for row in await ledger(user.id)] == ["bonus", "usage"]


async def test_a_refused_spend_keeps_the_daily_grant(settings, now) -> None:
    user = await create_user(signup_bonus=0)
    later = now + timedelta(days=1)
    with pytest.raises(InsufficientCredits):
        await spend(
            user.id,
            amount=6,
            app_id="chat",
            description="x",
            now=later,
            settings=settings,
        )
    view = await read_balance(user.id, now=later, settings=settings)
    assert view.free_credits_remaining == 5


async def test_a_user_without_a_balance_gets_one_on_first_read(client) -> None:
    user = await create_user(with_balance=False)
    response = await client.get(BALANCE, headers=user.headers)
    assert response.status_code == 200
    assert response.json()["freeCreditsRemaining"] == 150
