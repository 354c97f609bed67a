"""The guild tables in Piccolo Admin: shown to operators, invitation token
hashes never sent, pools and their ledger not editable by hand."""

from __future__ import annotations

import httpx
import pytest

from auth_tables.tables import Guild, GuildInvitation
from credit_tables.tables import GuildPool
from tests.mana_core_auth.guilds.support import GuildFixture, fund, guild_path
from tests.mana_core_auth.test_admin import admin_login, make_admin_user

GUILD_TABLES = {
    "guilds",
    "guild_members",
    "guild_invitations",
    "guild_pools",
    "guild_member_limits",
    "guild_pool_transactions",
}


@pytest.fixture
async def admin_client(app):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://testserver"
    ) as client:
        username, password = await make_admin_user(admin=True)
        response = await admin_login(client, username, password)
        assert response.status_code == 200, response.text
        yield client


def csrf(client) -> dict[str, str]:
    return {
        "X-CSRFToken": client.cookies.get("csrftoken"),
        "Referer": f"{client.base_url}/admin/",
    }


async def test_operators_see_the_guild_tables(admin_client) -> None:
    response = await admin_client.get("/admin/api/tables/")
    assert response.status_code == 200
    assert set(response.json()) >= GUILD_TABLES


async def test_invitation_token_hashes_are_never_sent(
    admin_client, client, guild: GuildFixture
) -> None:
    await client.post(
        guild_path(guild.id, "/invite"),
        json={"email": "admin-view@example.com"},
        headers=guild.owner.headers,
    )
    row = (
        await GuildInvitation.select(GuildInvitation.token_hash)
        .where(GuildInvitation.guild == guild.id)
        .first()
    )
    response = await admin_client.get(
        "/admin/api/tables/guild_invitations/",
        params={"email": "admin-view@example.com"},
    )
    assert response.status_code == 200 and row is not None
    assert "admin-view@example.com" in response.text
    assert row["token_hash"] not in response.text


async def test_pools_and_their_ledger_cannot_be_edited_by_hand(
    admin_client, client, guild: GuildFixture
) -> None:
    await fund(client, guild.id, guild.owner, 5)
    patched = await admin_client.patch(
        f"/admin/api/tables/guild_pools/{guild.id}/",
        json={"balance": 1_000},
        headers=csrf(admin_client),
    )
    assert patched.status_code == 405
    pool = await GuildPool.select(GuildPool.balance).where(GuildPool.guild == guild.id)
    assert pool == [{"balance": 5}]

    deleted = await admin_client.delete(
        f"/admin/api/tables/guilds/{guild.id}/", headers=csrf(admin_client)
    )
    assert deleted.status_code == 405
    assert await Guild.exists().where(Guild.id == guild.id)
