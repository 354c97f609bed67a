"""`piccolo mana grant_credits` and `piccolo mana verify_ledger`, run as an
operator runs them."""

from __future__ import annotations

import asyncio

from auth_tables.tables import User
from credit_tables.tables import Balance, Transaction
from tests.database import piccolo
from tests.mana_core_auth.credits.support import create_user, ledger


async def test_grant_adds_an_adjustment_with_the_reason(app, database_url: str) -> None:
    user = await create_user()
    result = await asyncio.to_thread(
        piccolo,
        "mana",
        "grant_credits",
        f"--email={user.email.upper()}",
        "--amount=25",
        "--reason=Support ticket 42",
        database_url=database_url,
    )
    assert "paid 25, free 150" in result.stdout
    last = (await ledger(user.id))[-1]
    assert (last["type"], last["amount"], last["description"]) == (
        "adjustment",
        25,
        "Support ticket 42",
    )
    assert last["metadata"] == {"grantedBy": "piccolo mana grant_credits"}


async def test_grant_free_credits_is_a_bonus(app, database_url: str) -> None:
    user = await create_user()
    await asyncio.to_thread(
        piccolo,
        "mana",
        "grant_credits",
        f"--email={user.email}",
        "--amount=5",
        "--reason=Contest",
        "--free",
        database_url=database_url,
    )
    last = (await ledger(user.id))[-1]
    assert (last["type"], last["free_amount"]) == ("bonus", 5)


async def test_grant_refuses_unknown_users_and_overdrafts(
    app, database_url: str
) -> None:
    unknown = await asyncio.to_thread(
        piccolo,
        "mana",
        "grant_credits",
        "--email=nobody@example.com",
        "--amount=5",
        "--reason=x",
        database_url=database_url,
        check=False,
    )
    assert unknown.returncode != 0
    assert "No user with the email" in unknown.stderr

    user = await create_user()
    overdraft = await asyncio.to_thread(
        piccolo,
        "mana",
        "grant_credits",
        f"--email={user.email}",
        "--amount=-1",
        "--reason=x",
        database_url=database_url,
        check=False,
    )
    assert overdraft.returncode != 0
    assert "Insufficient credits" in overdraft.stderr
    assert len(await ledger(user.id)) == 1


async def test_verify_prints_findings_and_exits_1(app, database_url: str) -> None:
    user = await create_user()
    await Balance.update({Balance.balance: 7}).where(Balance.user == user.id)
    try:
        result = await asyncio.to_thread(
            piccolo, "mana", "verify_ledger", database_url=database_url, check=False
        )
    finally:
        await User.delete().where(User.id == user.id)
    assert result.returncode == 1
    assert f"user {user.id}: paid 7 + free 150 = 157" in result.stdout
    assert "findings." in result.stdout
    assert not await Transaction.exists().where(Transaction.user == user.id)
