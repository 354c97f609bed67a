"""Concurrent requests on one pool, through the HTTP API with real commits
on separate pooled connections: they serialise on the pool row (and a
funding first on the member's own balance row), so no credit is lost,
doubled or overspent and no limit is passed."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest

from credit_tables.tables import GuildPool, GuildPoolTransaction
from mana_core_auth.credits.verification import verify_ledger
from mana_core_auth.guilds.verification import verify_pools
from tests.mana_core_auth.credits.support import (
    USE,
    balance_row,
    create_user,
)
from tests.mana_core_auth.guilds.support import (
    add_member,
    create_guild,
    fund,
    pool_path,
    use_body,
)


def tally(responses) -> Counter:
    return Counter(
        (r.status_code, r.json().get("code")) if r.status_code >= 400 else r.status_code
        for r in responses
    )


def show(capsys: pytest.CaptureFixture[str], line: str) -> None:
    with capsys.disabled():
        print(f"\n{line}")


async def pool_row(guild_id: uuid.UUID) -> dict:
    row = await GuildPool.select().where(GuildPool.guild == guild_id).first()
    assert row is not None
    return row


async def new_pool(client, funding: int, members: int, owner_credits: int = 0):
    """A guild of `members` members whose owner has `owner_credits` of
    their own after funding the pool with `funding`."""
    owner = await create_user(signup_bonus=funding + owner_credits)
    guild_id = uuid.UUID((await create_guild(client, owner))["id"])
    others = [await create_user(signup_bonus=0) for _ in range(members - 1)]
    for user in others:
        await add_member(guild_id, user)
    if funding:
        assert (await fund(client, guild_id, owner, funding)).status_code == 201
    return guild_id, owner, [owner, *others]


async def test_100_concurrent_spends_of_1_on_a_pool_of_50_by_10_members(
    client, capsys: pytest.CaptureFixture[str]
) -> None:
    guild_id, _, members = await new_pool(client, funding=50, members=10)
    use = pool_path(guild_id, "/use")

    responses = await asyncio.gather(
        *(
            client.post(use, json=use_body(1), headers=members[i % 10].headers)
            for i in range(100)
        )
    )

    statuses = tally(responses)
    final = await pool_row(guild_id)
    show(
        capsys,
        f"pool: 100 concurrent spends of 1 on 50 by 10 members: {dict(statuses)}; "
        f"pool balance {final['balance']}, spent {final['total_spent']}",
    )
    assert statuses == {201: 50, (400, "INSUFFICIENT_CREDITS"): 50}
    assert (final["balance"], final["total_spent"], final["version"]) == (0, 50, 51)
    after = sorted(
        r.json()["transaction"]["balanceAfter"]
        for r in responses
        if r.status_code == 201
    )
    assert after == list(range(50))  # each answer saw its own debit
    assert (
        await GuildPoolTransaction.count().where(GuildPoolTransaction.guild == guild_id)
        == 51
    )
    assert (await verify_pools(guild_id)).findings == []


async def test_a_daily_limit_of_10_holds_against_30_at_once(
    client, capsys: pytest.CaptureFixture[str]
) -> None:
    guild_id, owner, members = await new_pool(client, funding=100, members=2)
    member = members[1]
    limits = await client.put(
        pool_path(guild_id, f"/members/{member.id}/limits"),
        json={"dailyLimit": 10, "monthlyLimit": None},
        headers=owner.headers,
    )
    assert limits.status_code == 200

    use = pool_path(guild_id, "/use")
    responses = await asyncio.gather(
        *(client.post(use, json=use_body(1), headers=member.headers) for _ in range(30))
    )

    statuses = tally(responses)
    show(capsys, f"pool: daily limit 10, 30 concurrent spends of 1: {dict(statuses)}")
    assert statuses == {201: 10, (400, "SPENDING_LIMIT_EXCEEDED"): 20}
    assert (await pool_row(guild_id))["balance"] == 90
    assert (await verify_pools(guild_id)).findings == []


async def test_a_monthly_limit_holds_across_members_spending_at_once(
    client, capsys: pytest.CaptureFixture[str]
) -> None:
    guild_id, owner, members = await new_pool(client, funding=200, members=4)
    limited = members[1:]
    for member in limited:
        await client.put(
            pool_path(guild_id, f"/members/{member.id}/limits"),
            json={"dailyLimit": None, "monthlyLimit": 7},
            headers=owner.headers,
        )
    use = pool_path(guild_id, "/use")
    responses = await asyncio.gather(
        *(
            client.post(use, json=use_body(1), headers=member.headers)
            for member in limited
            for _ in range(15)
        )
    )
    statuses = tally(responses)
    show(
        capsys,
        f"pool: 3 members with a monthly limit of 7, 15 spends each: {dict(statuses)}",
    )
    assert statuses == {201: 21, (400, "SPENDING_LIMIT_EXCEEDED"): 24}
    assert (await verify_pools(guild_id)).findings == []


async def test_funding_and_spending_race_without_losing_a_credit(
    client, capsys: pytest.CaptureFixture[str]
) -> None:
    guild_id, funder, members = await new_pool(
        client, funding=0, members=4, owner_credits=150
    )
    funder_start = await balance_row(funder.id)
    own = funder_start["balance"] + funder_start["free_credits_remaining"]
    spenders = members[1:]

    requests = (
        [fund(client, guild_id, funder, 5) for _ in range(30)]
        # The funder also spends their own credits meanwhile.
        + [
            client.post(USE, json=use_body(1), headers=funder.headers)
            for _ in range(20)
        ]
        + [
            client.post(
                pool_path(guild_id, "/use"), json=use_body(1), headers=user.headers
            )
            for user in spenders
            for _ in range(40)
        ]
    )
    responses = await asyncio.gather(*requests)

    assert all(r.status_code < 500 for r in responses)
    funded = [r for r in responses[:30] if r.status_code == 201]
    own_spent = [r for r in responses[30:50] if r.status_code == 201]
    pool_spent = [r for r in responses[50:] if r.status_code == 201]
    final = await pool_row(guild_id)
    funder_now = await balance_row(funder.id)
    show(
        capsys,
        f"pool: 30 fundings of 5 (own credits {own}) racing 20 own spends and "
        f"120 pool spends: {len(funded)} funded, {len(own_spent)} own spends, "
        f"{len(pool_spent)} pool spends; pool {final['balance']}, funder's own "
        f"{funder_now['balance'] + funder_now['free_credits_remaining']}",
    )
    assert final["total_funded"] == 5 * len(funded)
    assert final["total_spent"] == len(pool_spent)
    assert final["balance"] == 5 * len(funded) - len(pool_spent) >= 0
    assert (
        funder_now["balance"] + funder_now["free_credits_remaining"]
        == own - 5 * len(funded) - len(own_spent)
        >= 0
    )
    assert (await verify_pools(guild_id)).findings == []
    for member in members:
        assert (await verify_ledger(member.id)).findings == []


async def test_50_concurrent_spends_with_one_key_spend_once(client) -> None:
    guild_id, _, members = await new_pool(client, funding=20, members=2)
    body = use_body(3, idempotencyKey=f"once-{uuid.uuid4().hex}")
    use = pool_path(guild_id, "/use")
    responses = await asyncio.gather(
        *(client.post(use, json=body, headers=members[1].headers) for _ in range(50))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert (await pool_row(guild_id))["balance"] == 17
    assert (await verify_pools(guild_id)).findings == []


async def test_20_concurrent_fundings_with_one_key_move_credits_once(client) -> None:
    guild_id, owner, members = await new_pool(
        client, funding=0, members=2, owner_credits=10
    )
    funder = members[1]
    body = {"amount": 4, "idempotencyKey": f"fund-{uuid.uuid4().hex}"}
    path = pool_path(guild_id, "/fund")
    responses = await asyncio.gather(
        *(client.post(path, json=body, headers=owner.headers) for _ in range(20))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert (await pool_row(guild_id))["balance"] == 4
    # Another member's request with the key is another request.
    other = await client.post(path, json=body, headers=funder.headers)
    assert other.status_code == 422
    assert (await verify_ledger(owner.id)).findings == []
    assert (await verify_pools(guild_id)).findings == []


async def test_a_spend_waiting_for_a_funding_debits_the_funded_pool(
    client, database_url: str
) -> None:
    """Ordered by hand: a funding holds the pool row (on its own
    connection) while a spend waits for it; the spend must write from the
    row it locked, not from the snapshot it started with."""
    import asyncpg

    from mana_core_auth.credits.ledger import utc_now
    from mana_core_auth.guilds import pool

    guild_id, owner, _ = await new_pool(client, funding=0, members=1)
    connection = await asyncpg.connect(database_url)
    try:
        transaction = connection.transaction()
        await transaction.start()
        # A funding whose member is gone (user_id NULL): no personal side.
        await connection.execute(
            """
            UPDATE credits.guild_pools
            SET balance = 5, total_funded = 5, version = 1 WHERE guild_id = $1;
            """,
            guild_id,
        )
        await connection.execute(
            """
            INSERT INTO credits.guild_pool_transactions
                (id, guild_id, type, amount, balance_before, balance_after, version)
            VALUES (gen_random_uuid(), $1, 'funding', 5, 0, 5, 1)
            """,
            guild_id,
        )
        spending = asyncio.create_task(
            pool.spend(
                guild_id, owner.id, amount=1, app_id="a", description="d", now=utc_now()
            )
        )
        await asyncio.sleep(0.3)
        assert not spending.done(), "the spend waits for the pool row"
        await transaction.commit()
        change = await spending
    finally:
        await connection.close()
    assert (change.transaction.balance_before, change.pool.balance) == (5, 4)
    final = await pool_row(guild_id)
    assert (final["balance"], final["total_funded"], final["version"]) == (4, 5, 2)
    assert (await verify_pools(guild_id)).findings == []
