"""The ledger check finds each kind of damage. Damage is done inside a
transaction that is rolled back, so the database stays sound for the check
after the suite."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from credit_tables.tables import Balance, Transaction, UsageStat
from mana_core_auth.credits.refunds import refund
from mana_core_auth.credits.spending import spend
from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.credits.support import CreditUser, create_user


@pytest.fixture
async def spender(settings, now) -> CreditUser:
    """A user with a bonus, three usages and a refund."""
    user = await create_user()
    for amount in (5, 6, 7):
        change = await spend(
            user.id,
            amount=amount,
            app_id="chat",
            description="x",
            now=now,
            settings=settings,
        )
    await refund(change.transaction.id, reason="x", now=now)
    return user


@asynccontextmanager
async def rolled_back() -> AsyncIterator[None]:
    """Damage done inside is undone on the way out; the check inside sees it."""
    async with Balance._meta.db.transaction() as transaction:
        yield
        await transaction.rollback()


async def problems(user_id: uuid.UUID) -> list[str]:
    return [finding.problem for finding in (await verify_ledger(user_id)).findings]


async def test_a_sound_ledger_has_no_findings(spender: CreditUser) -> None:
    report = await verify_ledger(spender.id)
    assert (report.balances, report.ledger_rows, report.findings) == (1, 5, [])


async def test_a_balance_that_differs_from_its_ledger(spender: CreditUser) -> None:
    async with rolled_back():
        await Balance.update({Balance.balance: Balance.balance + 3}).where(
            Balance.user == spender.id
        )
        found = await problems(spender.id)
        assert any("but the ledger sums to" in p for p in found)
        assert any("earned" in p for p in found)


async def test_free_credits_that_differ_from_the_ledgers_free_part(
    spender: CreditUser,
) -> None:
    async with rolled_back():
        await Balance.update(
            {
                Balance.balance: Balance.balance + 1,
                Balance.free_credits_remaining: Balance.free_credits_remaining - 1,
            }
        ).where(Balance.user == spender.id)
        assert any("free part" in p for p in await problems(spender.id))


async def test_a_missing_ledger_row_breaks_the_chain(spender: CreditUser) -> None:
    async with rolled_back():
        await Transaction.delete().where(
            (Transaction.user == spender.id) & (Transaction.balance_version == 2)
        )
        found = await problems(spender.id)
        assert any("version 3 follows 1" in p for p in found)


async def test_a_row_that_does_not_add_up(spender: CreditUser) -> None:
    async with rolled_back():
        await Transaction.update({Transaction.balance_after: 1}).where(
            (Transaction.user == spender.id) & (Transaction.balance_version == 3)
        )
        found = await problems(spender.id)
        assert any("<> after 1" in p for p in found)
        assert any("the row before ended at 1" in p for p in found)


async def test_usage_counts_that_differ_from_the_ledger(spender: CreditUser) -> None:
    async with rolled_back():
        await UsageStat.update({UsageStat.credits_used: 100}).where(
            UsageStat.user == spender.id
        )
        assert any(
            "counted 100, ledger says 11" in p for p in await problems(spender.id)
        )


async def test_a_refund_that_does_not_mirror_its_usage(spender: CreditUser) -> None:
    async with rolled_back():
        await Transaction.update({Transaction.free_amount: 0}).where(
            (Transaction.user == spender.id) & (Transaction.type == "refund")
        )
        found = await problems(spender.id)
        assert any("does not mirror" in p for p in found)


async def test_ledger_rows_without_a_balance(spender: CreditUser) -> None:
    async with rolled_back():
        await Balance.delete().where(Balance.user == spender.id)
        assert "has ledger rows but no balance" in await problems(spender.id)


async def test_the_damage_is_undone(spender: CreditUser) -> None:
    async with rolled_back():
        await Balance.delete().where(Balance.user == spender.id)
        assert await problems(spender.id) != []
    assert await problems(spender.id) == []
