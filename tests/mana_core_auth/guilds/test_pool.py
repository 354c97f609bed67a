"""The pool: funding from a member's own credits (a ledger row on each
side), spending within the pool and the member's limits, exactly once per
idempotency key, its ledger and refunds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from auth_tables.tables import Role
from credit_tables.tables import GuildMemberLimit, GuildPoolTransaction
from mana_core_auth.credits.verification import verify_ledger
from mana_core_auth.guilds import pool
from mana_core_auth.guilds.errors import SpendingLimitExceeded
from mana_core_auth.guilds.verification import verify_pools
from tests.mana_core_auth.credits.support import balance_row, create_user, ledger
from tests.mana_core_auth.guilds.support import (
    GuildFixture,
    fund,
    pool_path,
    use_body,
)


async def set_limits(client, guild, target, daily, monthly, by=None):
    return await client.put(
        pool_path(guild.id, f"/members/{target.id}/limits"),
        json={"dailyLimit": daily, "monthlyLimit": monthly},
        headers=(by or guild.owner).headers,
    )


async def test_funding_moves_own_credits_free_ones_first(
    client, guild: GuildFixture, settings, now
) -> None:
    from mana_core_auth.credits.grants import grant

    await grant(guild.member.id, 20, reason="bought", now=now, settings=settings)
    response = await fund(client, guild.id, guild.member, 160)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["transaction"]["type"] == "funding"
    assert body["transaction"]["amount"] == 160
    assert (
        body["transaction"]["balanceBefore"],
        body["transaction"]["balanceAfter"],
    ) == (0, 160)
    assert body["pool"] == {"balance": 160, "totalFunded": 160, "totalSpent": 0}
    personal = body["personalTransaction"]
    assert (personal["type"], personal["amount"]) == ("adjustment", -160)
    assert body["transaction"]["personalTransactionId"] == personal["id"]
    # 150 free credits went first, then 10 of the 20 paid ones.
    assert body["newBalance"] == {
        "balance": 10,
        "freeCreditsRemaining": 0,
        "totalSpent": 160,
    }
    row = await balance_row(guild.member.id)
    assert (row["balance"], row["free_credits_remaining"]) == (10, 0)
    [funding_row] = [r for r in await ledger(guild.member.id) if r["amount"] == -160]
    assert funding_row["free_amount"] == -150
    assert (await verify_ledger(guild.member.id)).findings == []
    assert (await verify_pools(guild.id)).findings == []


async def test_funding_more_than_one_has_moves_nothing(
    client, guild: GuildFixture
) -> None:
    response = await fund(client, guild.id, guild.member, 151)
    assert response.status_code == 400
    assert response.json()["code"] == "INSUFFICIENT_CREDITS"
    row = await balance_row(guild.member.id)
    assert row["free_credits_remaining"] == 150
    state = await client.get(
        pool_path(guild.id, "/balance"), headers=guild.member.headers
    )
    assert state.json() == {"balance": 0, "totalFunded": 0, "totalSpent": 0}


async def test_a_funding_cannot_be_refunded_as_a_usage(
    client, guild: GuildFixture
) -> None:
    service = await create_user(role=Role.service, with_balance=False)
    body = (await fund(client, guild.id, guild.member, 10)).json()
    response = await client.post(
        f"/api/v1/credits/transactions/{body['personalTransaction']['id']}/refund",
        json={"reason": "give it back"},
        headers=service.headers,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "NOT_REFUNDABLE"


async def test_members_spend_from_the_pool(client, guild: GuildFixture) -> None:
    await fund(client, guild.id, guild.owner, 10)
    response = await client.post(
        pool_path(guild.id, "/use"),
        json=use_body(4, metadata={"model": "x"}),
        headers=guild.member.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    entry = body["transaction"]
    assert (entry["type"], entry["amount"], entry["userId"]) == (
        "usage",
        -4,
        str(guild.member.id),
    )
    assert (entry["balanceBefore"], entry["balanceAfter"]) == (10, 6)
    assert entry["metadata"] == {"model": "x"}
    assert body["pool"] == {"balance": 6, "totalFunded": 10, "totalSpent": 4}
    # The member's own credits are untouched.
    assert (await balance_row(guild.member.id))["free_credits_remaining"] == 150

    past = await client.post(
        pool_path(guild.id, "/use"), json=use_body(7), headers=guild.member.headers
    )
    assert past.status_code == 400
    assert past.json()["code"] == "INSUFFICIENT_CREDITS"
    assert past.json()["message"] == "Insufficient credits"


async def test_outsiders_can_neither_spend_nor_fund(
    client, guild: GuildFixture
) -> None:
    await fund(client, guild.id, guild.owner, 10)
    spend = await client.post(
        pool_path(guild.id, "/use"), json=use_body(), headers=guild.outsider.headers
    )
    funded = await fund(client, guild.id, guild.outsider, 1)
    assert spend.status_code == funded.status_code == 404
    assert (await balance_row(guild.outsider.id))["free_credits_remaining"] == 150


async def test_a_daily_limit_stops_a_member_and_lifting_it_lets_them_go_on(
    client, guild: GuildFixture
) -> None:
    await fund(client, guild.id, guild.owner, 100)
    limits = await set_limits(client, guild, guild.member, 5, None)
    assert limits.status_code == 200
    assert limits.json() == {
        "userId": str(guild.member.id),
        "dailyLimit": 5,
        "monthlyLimit": None,
        "usedToday": 0,
        "usedThisMonth": 0,
    }
    use = pool_path(guild.id, "/use")
    assert (
        await client.post(use, json=use_body(3), headers=guild.member.headers)
    ).status_code == 201
    refused = await client.post(use, json=use_body(3), headers=guild.member.headers)
    assert refused.status_code == 400
    assert refused.json()["code"] == "SPENDING_LIMIT_EXCEEDED"
    assert (
        await client.post(use, json=use_body(2), headers=guild.member.headers)
    ).status_code == 201

    own = await client.get(
        pool_path(guild.id, f"/members/{guild.member.id}/limits"),
        headers=guild.member.headers,
    )
    assert own.json()["usedToday"] == 5 and own.json()["usedThisMonth"] == 5
    # Others in the guild are not limited by it.
    assert (
        await client.post(use, json=use_body(10), headers=guild.admin.headers)
    ).status_code == 201

    await set_limits(client, guild, guild.member, None, None, by=guild.admin)
    assert (
        await client.post(use, json=use_body(3), headers=guild.member.headers)
    ).status_code == 201
    assert (await verify_pools(guild.id)).findings == []


async def test_a_monthly_limit_counts_across_days_and_a_new_month_starts_over(
    client, guild: GuildFixture
) -> None:
    await fund(client, guild.id, guild.owner, 100)
    await set_limits(client, guild, guild.member, None, 10)
    first_of_month = datetime(2031, 5, 1, 12, tzinfo=UTC)

    async def spend(amount: int, at: datetime):
        return await pool.spend(
            guild.id,
            guild.member.id,
            amount=amount,
            app_id="chat",
            description="m",
            now=at,
        )

    await spend(6, first_of_month)
    await spend(4, first_of_month + timedelta(days=3))
    try:
        await spend(1, first_of_month + timedelta(days=20))
    except SpendingLimitExceeded as error:
        assert "Monthly" in error.message
    else:
        raise AssertionError("the monthly limit did not hold")
    await spend(10, datetime(2031, 6, 1, 0, 0, 1, tzinfo=UTC))
    assert (await verify_pools(guild.id)).findings == []


async def test_a_day_starts_over_at_utc_midnight(client, guild: GuildFixture) -> None:
    await fund(client, guild.id, guild.owner, 100)
    await set_limits(client, guild, guild.member, 3, None)
    late = datetime(2031, 7, 1, 23, 59, 59, tzinfo=UTC)
    await pool.spend(
        guild.id, guild.member.id, amount=3, app_id="a", description="d", now=late
    )
    next_day = late + timedelta(seconds=2)
    change = await pool.spend(
        guild.id, guild.member.id, amount=3, app_id="a", description="d", now=next_day
    )
    assert change.transaction.created_at == next_day
    # A clock that lags behind counts (and dates) the usage in the member's
    # latest day, so the counters and the ledger agree.
    try:
        await pool.spend(
            guild.id, guild.member.id, amount=1, app_id="a", description="d", now=late
        )
    except SpendingLimitExceeded:
        pass
    else:
        raise AssertionError("a lagging clock opened a new day")
    await set_limits(client, guild, guild.member, None, None)
    lagging = await pool.spend(
        guild.id, guild.member.id, amount=1, app_id="a", description="d", now=late
    )
    assert lagging.transaction.created_at == datetime(2031, 7, 2, tzinfo=UTC)
    assert (await verify_pools(guild.id)).findings == []


async def test_leaving_and_rejoining_does_not_reset_todays_spending(
    client, guild: GuildFixture
) -> None:
    from tests.mana_core_auth.guilds.support import add_member, guild_path

    await fund(client, guild.id, guild.owner, 100)
    await set_limits(client, guild, guild.member, 5, None)
    use = pool_path(guild.id, "/use")
    assert (
        await client.post(use, json=use_body(5), headers=guild.member.headers)
    ).status_code == 201
    await client.delete(
        guild_path(guild.id, f"/members/{guild.member.id}"),
        headers=guild.member.headers,
    )
    await add_member(guild.id, guild.member)
    limits = await client.get(
        pool_path(guild.id, f"/members/{guild.member.id}/limits"),
        headers=guild.owner.headers,
    )
    assert limits.json()["usedToday"] == 5 and limits.json()["dailyLimit"] is None
    await set_limits(client, guild, guild.member, 5, None)
    refused = await client.post(use, json=use_body(1), headers=guild.member.headers)
    assert refused.json()["code"] == "SPENDING_LIMIT_EXCEEDED"


async def test_limits_are_set_by_owners_and_admins_read_by_oneself(
    client, guild: GuildFixture
) -> None:
    by_member = await set_limits(client, guild, guild.member, 1, 1, by=guild.member)
    assert by_member.status_code == 403
    admin_on_owner = await set_limits(client, guild, guild.owner, 1, 1, by=guild.admin)
    assert admin_on_owner.status_code == 403
    owner_on_admin = await set_limits(client, guild, guild.admin, 1, 2)
    assert owner_on_admin.status_code == 200
    other = await client.get(
        pool_path(guild.id, f"/members/{guild.admin.id}/limits"),
        headers=guild.member.headers,
    )
    assert other.status_code == 403
    outsider = await set_limits(client, guild, guild.outsider, 1, 1)
    assert outsider.status_code == 404
    assert outsider.json()["code"] == "MEMBER_NOT_FOUND"


async def test_a_key_answers_the_same_and_refuses_another_body(
    client, guild: GuildFixture
) -> None:
    await fund(client, guild.id, guild.owner, 20)
    use = pool_path(guild.id, "/use")
    key = f"k-{uuid.uuid4().hex}"
    first = await client.post(
        use, json=use_body(3, idempotencyKey=key), headers=guild.member.headers
    )
    await client.post(use, json=use_body(2), headers=guild.member.headers)
    again = await client.post(
        use, json=use_body(3, idempotencyKey=key), headers=guild.member.headers
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    other_body = await client.post(
        use, json=use_body(4, idempotencyKey=key), headers=guild.member.headers
    )
    assert other_body.status_code == 422
    assert other_body.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    # Keys are per guild: another member's request with it is another request.
    other_member = await client.post(
        use, json=use_body(3, idempotencyKey=key), headers=guild.admin.headers
    )
    assert other_member.status_code == 422
    rows = await GuildPoolTransaction.count().where(
        (GuildPoolTransaction.guild == guild.id)
        & (GuildPoolTransaction.type == "usage")
    )
    assert rows == 2


async def test_a_funding_key_moves_credits_once(client, guild: GuildFixture) -> None:
    path = pool_path(guild.id, "/fund")
    key = f"f-{uuid.uuid4().hex}"
    body = {"amount": 7, "idempotencyKey": key}
    first = await client.post(path, json=body, headers=guild.member.headers)
    await client.post(path, json={"amount": 1}, headers=guild.member.headers)
    again = await client.post(path, json=body, headers=guild.member.headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert (await balance_row(guild.member.id))["free_credits_remaining"] == 150 - 8
    reused = await client.post(
        pool_path(guild.id, "/use"),
        json=use_body(1, idempotencyKey=key),
        headers=guild.member.headers,
    )
    assert reused.status_code == 422


async def test_a_refused_spend_keeps_its_key_free(client, guild: GuildFixture) -> None:
    use = pool_path(guild.id, "/use")
    body = use_body(5, idempotencyKey=f"r-{uuid.uuid4().hex}")
    refused = await client.post(use, json=body, headers=guild.member.headers)
    assert refused.status_code == 400
    await fund(client, guild.id, guild.owner, 5)
    assert (
        await client.post(use, json=body, headers=guild.member.headers)
    ).status_code == 201


async def test_the_ledger_lists_newest_first_for_every_member(
    client, guild: GuildFixture
) -> None:
    await fund(client, guild.id, guild.owner, 10)
    await client.post(
        pool_path(guild.id, "/use"), json=use_body(2), headers=guild.member.headers
    )
    await client.post(
        pool_path(guild.id, "/use"), json=use_body(3), headers=guild.admin.headers
    )
    response = await client.get(
        pool_path(guild.id, "/transactions"), headers=guild.member.headers
    )
    assert response.status_code == 200
    assert [(t["type"], t["amount"]) for t in response.json()] == [
        ("usage", -3),
        ("usage", -2),
        ("funding", 10),
    ]
    filtered = await client.get(
        pool_path(guild.id, "/transactions"),
        params={"type": "usage", "userId": str(guild.member.id), "limit": 1},
        headers=guild.member.headers,
    )
    assert [t["amount"] for t in filtered.json()] == [-2]


async def test_service_tokens_refund_a_usage_once(client, guild: GuildFixture) -> None:
    service = await create_user(role=Role.service, with_balance=False)
    await fund(client, guild.id, guild.owner, 10)
    await client.put(
        pool_path(guild.id, f"/members/{guild.member.id}/limits"),
        json={"dailyLimit": 4, "monthlyLimit": None},
        headers=guild.owner.headers,
    )
    usage = (
        await client.post(
            pool_path(guild.id, "/use"), json=use_body(4), headers=guild.member.headers
        )
    ).json()["transaction"]
    path = pool_path(guild.id, f"/transactions/{usage['id']}/refund")

    by_member = await client.post(
        path, json={"reason": "mine"}, headers=guild.owner.headers
    )
    assert by_member.status_code == 403
    refunded = await client.post(
        path, json={"reason": "model failed"}, headers=service.headers
    )
    assert refunded.status_code == 201, refunded.text
    body = refunded.json()
    assert (body["transaction"]["type"], body["transaction"]["amount"]) == ("refund", 4)
    assert body["transaction"]["refundOf"] == usage["id"]
    assert body["pool"] == {"balance": 10, "totalFunded": 10, "totalSpent": 0}
    twice = await client.post(path, json={"reason": "again"}, headers=service.headers)
    assert twice.status_code == 409
    # The refund gave the member's day back.
    again = await client.post(
        pool_path(guild.id, "/use"), json=use_body(4), headers=guild.member.headers
    )
    assert again.status_code == 201

    funding = (
        await client.get(
            pool_path(guild.id, "/transactions"),
            params={"type": "funding"},
            headers=guild.owner.headers,
        )
    ).json()[0]
    not_usage = await client.post(
        pool_path(guild.id, f"/transactions/{funding['id']}/refund"),
        json={"reason": "x"},
        headers=service.headers,
    )
    assert not_usage.status_code == 400
    assert not_usage.json()["code"] == "NOT_REFUNDABLE"
    unknown = await client.post(
        pool_path(guild.id, f"/transactions/{uuid.uuid4()}/refund"),
        json={"reason": "x"},
        headers=service.headers,
    )
    assert unknown.status_code == 404
    assert (await verify_pools(guild.id)).findings == []


async def test_a_member_added_without_a_limits_row_can_still_spend(
    client, guild: GuildFixture
) -> None:
    await fund(client, guild.id, guild.owner, 5)
    await GuildMemberLimit.delete().where(
        (GuildMemberLimit.guild == guild.id)
        & (GuildMemberLimit.user == guild.member.id)
    )
    response = await client.post(
        pool_path(guild.id, "/use"), json=use_body(2), headers=guild.member.headers
    )
    assert response.status_code == 201
    assert (await verify_pools(guild.id)).findings == []
