"""Operators granting and taking away credits (the service behind the
admin form and `piccolo mana grant_credits`)."""

from __future__ import annotations

import pytest

from credit_tables.tables import TransactionType
from mana_core_auth.credits.errors import InsufficientCredits
from mana_core_auth.credits.grants import grant
from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.credits.support import (
    CreditUser,
    balance_row,
    create_user,
    ledger,
)


async def test_an_adjustment_changes_paid_credits(
    user: CreditUser, settings, now
) -> None:
    change = await grant(
        user.id, 40, reason="goodwill", granted_by="ops", now=now, settings=settings
    )
    assert change.transaction.type == TransactionType.adjustment
    assert change.transaction.description == "goodwill"
    assert change.transaction.metadata == {"grantedBy": "ops"}
    assert (change.transaction.balance_before, change.transaction.balance_after) == (
        150,
        190,
    )
    assert (change.new_balance.balance, change.new_balance.free_credits_remaining) == (
        40,
        150,
    )

    taken = await grant(user.id, -15, reason="chargeback", now=now, settings=settings)
    assert taken.new_balance.balance == 25
    row = await balance_row(user.id)
    assert (row["balance"], row["total_earned"]) == (25, 175)
    assert (await verify_ledger(user.id)).findings == []


async def test_a_bonus_adds_free_credits(user: CreditUser, settings, now) -> None:
    change = await grant(
        user.id,
        25,
        reason="contest winner",
        kind=TransactionType.bonus,
        now=now,
        settings=settings,
    )
    assert change.transaction.type == TransactionType.bonus
    assert change.new_balance.free_credits_remaining == 175
    assert (await verify_ledger(user.id)).findings == []


async def test_no_more_is_taken_than_the_paid_credits(
    user: CreditUser, settings, now
) -> None:
    with pytest.raises(InsufficientCredits):
        await grant(user.id, -1, reason="too much", now=now, settings=settings)
    assert len(await ledger(user.id)) == 1


@pytest.mark.parametrize(
    ("amount", "kind", "reason"),
    [
        (0, TransactionType.adjustment, "zero"),
        (-5, TransactionType.bonus, "negative bonus"),
        (5, TransactionType.usage, "not a grant"),
        (5, TransactionType.adjustment, "  "),
    ],
)
async def test_grants_refuse_nonsense(
    user: CreditUser, settings, now, amount: int, kind: TransactionType, reason: str
) -> None:
    with pytest.raises(ValueError):
        await grant(
            user.id, amount, reason=reason, kind=kind, now=now, settings=settings
        )


async def test_a_user_without_a_balance_gets_one_first(settings, now) -> None:
    user = await create_user(with_balance=False)
    change = await grant(user.id, 10, reason="welcome", now=now, settings=settings)
    assert change.transaction.balance_before == 150
    assert (await verify_ledger(user.id)).findings == []
