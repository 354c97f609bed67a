"""Creating, reading, renaming and deleting guilds; leaving, removing
members and changing roles, with the last owner kept."""

from __future__ import annotations

import asyncio
import uuid

from auth_tables.tables import Guild, GuildMember, GuildRole
from credit_tables.tables import GuildPool
from tests.mana_core_auth.credits.support import create_user
from tests.mana_core_auth.guilds.support import (
    GUILDS,
    GuildFixture,
    add_member,
    create_guild,
    fund,
    guild_path,
    pool_path,
    use_body,
)


async def test_a_new_guild_has_its_creator_as_owner_and_an_empty_pool(
    client,
) -> None:
    owner = await create_user()
    response = await client.post(
        GUILDS, json={"name": "  The Lovelaces  "}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "The Lovelaces"
    assert body["slug"].startswith("the-lovelaces")
    assert body["role"] == "owner"
    assert body["pool"] == {"balance": 0, "totalFunded": 0, "totalSpent": 0}
    assert [(m["userId"], m["role"]) for m in body["members"]] == [
        (str(owner.id), "owner")
    ]
    assert body["members"][0]["email"] == owner.email


async def test_a_slug_made_from_the_name_gets_a_suffix_when_taken(client) -> None:
    owner = await create_user()
    name = f"Team {uuid.uuid4().hex[:6]}"
    first = await create_guild(client, owner, name)
    second = await create_guild(client, owner, name)
    assert first["slug"] == name.lower().replace(" ", "-")
    assert second["slug"].startswith(first["slug"] + "-")
    unnamed = await create_guild(client, owner, "日本語")
    assert unnamed["slug"].startswith("guild")


async def test_a_chosen_slug_that_is_taken_is_refused(client) -> None:
    owner = await create_user()
    slug = f"team-{uuid.uuid4().hex[:8]}"
    created = await client.post(
        GUILDS, json={"name": "A", "slug": slug.upper()}, headers=owner.headers
    )
    assert created.status_code == 201 and created.json()["slug"] == slug
    again = await client.post(
        GUILDS, json={"name": "B", "slug": slug}, headers=owner.headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "SLUG_TAKEN"


async def test_my_guilds_list_each_with_my_role(client, guild: GuildFixture) -> None:
    for role in ("owner", "admin", "member"):
        response = await client.get(GUILDS, headers=guild.caller(role).headers)
        assert response.status_code == 200
        mine = [g for g in response.json() if g["id"] == str(guild.id)]
        assert [g["role"] for g in mine] == [role]
    outsider = await client.get(GUILDS, headers=guild.outsider.headers)
    assert outsider.json() == []


async def test_members_see_the_guild_with_members_and_pool(
    client, guild: GuildFixture
) -> None:
    response = await client.get(guild_path(guild.id), headers=guild.member.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "member"
    assert {m["userId"]: m["role"] for m in body["members"]} == {
        str(guild.owner.id): "owner",
        str(guild.admin.id): "admin",
        str(guild.member.id): "member",
    }


async def test_outsiders_and_unknown_guilds_look_the_same(
    client, guild: GuildFixture
) -> None:
    existing = await client.get(guild_path(guild.id), headers=guild.outsider.headers)
    unknown = await client.get(guild_path(uuid.uuid4()), headers=guild.outsider.headers)
    assert existing.status_code == unknown.status_code == 404
    assert existing.json()["code"] == unknown.json()["code"] == "GUILD_NOT_FOUND"
    assert existing.json()["message"] == unknown.json()["message"]


async def test_owners_and_admins_rename_members_cannot(
    client, guild: GuildFixture
) -> None:
    renamed = await client.put(
        guild_path(guild.id), json={"name": "Renamed"}, headers=guild.admin.headers
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
    refused = await client.put(
        guild_path(guild.id), json={"name": "Mine"}, headers=guild.member.headers
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "GUILD_ROLE_REQUIRED"
    row = await Guild.select(Guild.name).where(Guild.id == guild.id).first()
    assert row == {"name": "Renamed"}


async def test_a_slug_change_to_a_taken_slug_is_refused(
    client, guild: GuildFixture
) -> None:
    other = await create_guild(client, guild.owner)
    response = await client.put(
        guild_path(guild.id), json={"slug": other["slug"]}, headers=guild.owner.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "SLUG_TAKEN"


async def test_an_owner_deletes_a_guild_only_with_an_empty_pool(
    client, guild: GuildFixture
) -> None:
    assert (await fund(client, guild.id, guild.member, 3)).status_code == 201
    refused = await client.delete(guild_path(guild.id), headers=guild.owner.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "GUILD_POOL_NOT_EMPTY"
    for role in ("admin", "member"):
        response = await client.delete(
            guild_path(guild.id), headers=guild.caller(role).headers
        )
        assert response.status_code == 403, role

    spent = await client.post(
        pool_path(guild.id, "/use"), json=use_body(3), headers=guild.member.headers
    )
    assert spent.status_code == 201
    deleted = await client.delete(guild_path(guild.id), headers=guild.owner.headers)
    assert deleted.status_code == 200
    assert not await Guild.exists().where(Guild.id == guild.id)
    assert not await GuildPool.exists().where(GuildPool.guild == guild.id)
    gone = await client.get(guild_path(guild.id), headers=guild.owner.headers)
    assert gone.status_code == 404


async def test_members_leave_and_the_last_owner_cannot(
    client, guild: GuildFixture
) -> None:
    left = await client.delete(
        guild_path(guild.id, f"/members/{guild.member.id}"),
        headers=guild.member.headers,
    )
    assert left.status_code == 200
    assert (
        await client.get(guild_path(guild.id), headers=guild.member.headers)
    ).status_code == 404

    last = await client.delete(
        guild_path(guild.id, f"/members/{guild.owner.id}"),
        headers=guild.owner.headers,
    )
    assert last.status_code == 409
    assert last.json()["code"] == "LAST_OWNER"


async def test_admins_remove_members_but_not_admins_or_owners(
    client, guild: GuildFixture
) -> None:
    other_admin = await create_user()
    await add_member(guild.id, other_admin, GuildRole.admin)
    for target in (other_admin, guild.owner):
        response = await client.delete(
            guild_path(guild.id, f"/members/{target.id}"), headers=guild.admin.headers
        )
        assert response.status_code == 403
    removed = await client.delete(
        guild_path(guild.id, f"/members/{guild.member.id}"),
        headers=guild.admin.headers,
    )
    assert removed.status_code == 200
    unknown = await client.delete(
        guild_path(guild.id, f"/members/{guild.outsider.id}"),
        headers=guild.admin.headers,
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "MEMBER_NOT_FOUND"


async def test_owners_change_roles_and_the_last_owner_is_kept(
    client, guild: GuildFixture
) -> None:
    path = guild_path(guild.id, f"/members/{guild.owner.id}/role")
    demoted = await client.put(
        path, json={"role": "member"}, headers=guild.owner.headers
    )
    assert demoted.status_code == 409
    assert demoted.json()["code"] == "LAST_OWNER"

    promote = guild_path(guild.id, f"/members/{guild.admin.id}/role")
    by_admin = await client.put(
        promote, json={"role": "owner"}, headers=guild.admin.headers
    )
    assert by_admin.status_code == 403
    promoted = await client.put(
        promote, json={"role": "owner"}, headers=guild.owner.headers
    )
    assert promoted.status_code == 200
    # Two owners: either may now step down, but not both.
    stepped_down = await client.put(
        path, json={"role": "member"}, headers=guild.owner.headers
    )
    assert stepped_down.status_code == 200
    assert stepped_down.json()["role"] == "member"


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(
    client, guild: GuildFixture
) -> None:
    await add_member(guild.id, second := await create_user(), GuildRole.owner)
    responses = await asyncio.gather(
        client.put(
            guild_path(guild.id, f"/members/{second.id}/role"),
            json={"role": "member"},
            headers=guild.owner.headers,
        ),
        client.put(
            guild_path(guild.id, f"/members/{guild.owner.id}/role"),
            json={"role": "member"},
            headers=second.headers,
        ),
    )
    assert sorted(r.status_code for r in responses) in ([200, 403], [200, 409])
    owners = await GuildMember.count().where(
        (GuildMember.guild == guild.id) & (GuildMember.role == GuildRole.owner)
    )
    assert owners == 1
