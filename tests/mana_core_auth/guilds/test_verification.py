"""`piccolo mana verify_ledger` checks every guild pool: whatever is changed
around the service shows up as a finding. Each test tampers with its own
guild and deletes it afterwards, so that the check after the suite passes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from auth_tables.tables import Guild
from mana_core_auth.credits.verification import verify_ledger
from mana_core_auth.guilds.verification import verify_pools
from tests.database import fetch
from tests.mana_core_auth.guilds.support import (
    GuildFixture,
    fund,
    guild_with_everyone,
    pool_path,
    use_body,
)


@pytest.fixture
async def busy_guild(client) -> AsyncIterator[GuildFixture]:
    """A guild with fundings, usages and a refund, deleted afterwards."""
    from auth_tables.tables import Role
    from tests.mana_core_auth.credits.support import create_user

    guild = await guild_with_everyone(client)
    service = await create_user(role=Role.service, with_balance=False)
    await fund(client, guild.id, guild.owner, 20)
    await fund(client, guild.id, guild.member, 5)
    used = await client.post(
        pool_path(guild.id, "/use"), json=use_body(4), headers=guild.member.headers
    )
    await client.post(
        pool_path(guild.id, "/use"), json=use_body(2), headers=guild.admin.headers
    )
    await client.post(
        pool_path(guild.id, f"/transactions/{used.json()['transaction']['id']}/refund"),
        json={"reason": "failed"},
        headers=service.headers,
    )
    assert (await verify_pools(guild.id)).findings == []
    yield guild
    await Guild.delete().where(Guild.id == guild.id)


async def findings(guild_id: uuid.UUID) -> list[str]:
    return [str(finding) for finding in (await verify_pools(guild_id)).findings]


async def test_a_clean_pool_has_no_findings_and_is_counted(
    busy_guild: GuildFixture,
) -> None:
    report = await verify_pools(busy_guild.id)
    assert (report.pools, report.ledger_rows, report.findings) == (1, 5, [])
    everything = await verify_ledger()
    assert everything.pools >= 1 and everything.pool_ledger_rows >= 5


async def test_a_pool_changed_by_hand_is_found(
    busy_guild: GuildFixture, database_url: str
) -> None:
    await fetch(
        database_url,
        "UPDATE credits.guild_pools SET balance = balance + 7, "
        "total_funded = total_funded + 7 WHERE guild_id = $1",
        busy_guild.id,
    )
    found = await findings(busy_guild.id)
    assert any("ledger sums to" in line for line in found), found
    assert any("fundings sum to" in line for line in found), found
    assert all(line.startswith(f"guild {busy_guild.id}:") for line in found)


async def test_a_broken_chain_is_found(
    busy_guild: GuildFixture, database_url: str
) -> None:
    await fetch(
        database_url,
        "UPDATE credits.guild_pool_transactions SET version = version + 10 "
        "WHERE guild_id = $1 AND version = 5",
        busy_guild.id,
    )
    found = await findings(busy_guild.id)
    assert any("version 15 follows 4" in line for line in found), found
    assert any("pool version 5" in line for line in found), found


async def test_spending_counters_that_disagree_with_the_ledger_are_found(
    busy_guild: GuildFixture, database_url: str
) -> None:
    await fetch(
        database_url,
        "UPDATE credits.guild_member_limits SET used_today = used_today + 1, "
        "used_this_month = used_this_month + 1 WHERE guild_id = $1 AND user_id = $2",
        busy_guild.id,
        busy_guild.admin.id,
    )
    found = await findings(busy_guild.id)
    assert any(f"member {busy_guild.admin.id} counted 3" in line for line in found)
    assert len(found) == 2, found


async def test_a_funding_without_its_other_side_is_found(
    busy_guild: GuildFixture, database_url: str
) -> None:
    await fetch(
        database_url,
        "UPDATE credits.guild_pool_transactions SET personal_transaction_id = NULL "
        "WHERE guild_id = $1 AND type = 'funding' AND amount = 5",
        busy_guild.id,
    )
    found = await findings(busy_guild.id)
    assert len(found) == 1 and "no matching row in the member's ledger" in found[0]


async def test_the_database_refuses_an_overdrawn_pool_or_a_second_row_per_version(
    busy_guild: GuildFixture, database_url: str
) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            "UPDATE credits.guild_pools SET balance = -1, "
            "total_spent = total_funded + 1 WHERE guild_id = $1",
            busy_guild.id,
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            "UPDATE credits.guild_pools SET balance = balance + 1 WHERE guild_id = $1",
            busy_guild.id,
        )
    with pytest.raises(asyncpg.UniqueViolationError):
        await fetch(
            database_url,
            "INSERT INTO credits.guild_pool_transactions "
            "(id, guild_id, type, amount, balance_before, balance_after, version) "
            "VALUES (gen_random_uuid(), $1, 'funding', 1, 23, 24, 5)",
            busy_guild.id,
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            "INSERT INTO credits.guild_pool_transactions "
            "(id, guild_id, type, amount, balance_before, balance_after, version) "
            "VALUES (gen_random_uuid(), $1, 'usage', 1, 23, 24, 6)",
            busy_guild.id,
        )
    assert await findings(busy_guild.id) == []


async def test_a_hard_deleted_member_leaves_the_pool_whole(
    busy_guild: GuildFixture, database_url: str
) -> None:
    await fetch(
        database_url, "DELETE FROM auth.users WHERE id = $1", busy_guild.member.id
    )
    rows = await fetch(
        database_url,
        "SELECT count(*) AS n, count(user_id) AS with_user "
        "FROM credits.guild_pool_transactions WHERE guild_id = $1",
        busy_guild.id,
    )
    assert (rows[0]["n"], rows[0]["with_user"]) == (5, 2)
    assert await findings(busy_guild.id) == []
