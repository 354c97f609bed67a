"""Invitations: a mailed single-use link that only the invited address's
account accepts; expired, reused, revoked, superseded and wrong-account
uses are refused, and the token is kept only as a hash."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from auth_tables.tables import GuildInvitation, GuildMember
from mana_core_auth.security.tokens import hash_token
from tests.mana_core_auth.credits.support import create_user
from tests.mana_core_auth.guilds.support import (
    GUILDS,
    GuildFixture,
    create_guild,
    guild_path,
    invitation_token,
    mails_to,
)

ACCEPT = f"{GUILDS}/accept-invitation"


async def invite(
    client, guild: GuildFixture, email: str, role: str = "member", by=None
):
    return await client.post(
        guild_path(guild.id, "/invite"),
        json={"email": email, "role": role},
        headers=(by or guild.owner).headers,
    )


async def test_an_invited_user_accepts_and_joins_with_the_role(
    client, guild: GuildFixture, caplog: pytest.LogCaptureFixture
) -> None:
    invitee = await create_user()
    with caplog.at_level(logging.DEBUG):
        response = await invite(client, guild, invitee.email.upper(), "admin")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["email"], body["role"]) == (invitee.email, "admin")
    assert "token" not in str(body).lower()

    token = await invitation_token(invitee.email)
    assert token not in caplog.text
    row = await GuildInvitation.select().where(GuildInvitation.id == body["id"]).first()
    assert row is not None
    assert row["token_hash"] == hash_token(token) != token

    accepted = await client.post(ACCEPT, json={"token": token}, headers=invitee.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["id"] == str(guild.id)
    assert accepted.json()["role"] == "admin"


async def test_the_mail_carries_no_user_text_but_the_guild_name(client) -> None:
    owner = await create_user()
    guild = await create_guild(client, owner, "Ada's Family")
    address = f"new-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        guild_path(guild["id"], "/invite"),
        json={"email": address, "role": "member"},
        headers=owner.headers,
    )
    assert response.status_code == 201
    [mail] = await mails_to(address)
    assert mail["subject"] == "You are invited to join a guild"
    assert "Ada's Family" in mail["text"]
    assert "Ada&#x27;s Family" in mail["html"]  # escaped
    assert owner.email not in mail["text"]
    assert "/accept-invitation?token=" in mail["text"]


@pytest.mark.parametrize(
    "name", ["Evil\nSubject: hi", "Tab\there", "Bidi \u202eevil", "Zero\u200bwidth"]
)
async def test_guild_names_with_control_characters_are_refused(client, name) -> None:
    owner = await create_user()
    response = await client.post(GUILDS, json={"name": name}, headers=owner.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"


async def test_someone_without_an_account_registers_then_accepts(
    client, guild: GuildFixture
) -> None:
    address = f"later-{uuid.uuid4().hex[:8]}@example.com"
    assert (await invite(client, guild, address)).status_code == 201
    token = await invitation_token(address)
    register = await client.post(
        "/api/v1/auth/register",
        json={"email": address, "password": "correct-horse-battery-staple-42"},
    )
    assert register.status_code == 201
    login = await client.post(
        "/api/v1/auth/login",
        json={"email": address, "password": "correct-horse-battery-staple-42"},
    )
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    accepted = await client.post(ACCEPT, json={"token": token}, headers=headers)
    assert accepted.status_code == 200
    assert accepted.json()["role"] == "member"


async def test_another_account_cannot_accept_and_the_link_stays_usable(
    client, guild: GuildFixture
) -> None:
    invitee = await create_user()
    await invite(client, guild, invitee.email)
    token = await invitation_token(invitee.email)
    wrong = await client.post(
        ACCEPT, json={"token": token}, headers=guild.outsider.headers
    )
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "INVITATION_FOR_ANOTHER_ACCOUNT"
    assert not await GuildMember.exists().where(
        (GuildMember.guild == guild.id) & (GuildMember.user == guild.outsider.id)
    )
    right = await client.post(ACCEPT, json={"token": token}, headers=invitee.headers)
    assert right.status_code == 200


async def test_a_link_works_once(client, guild: GuildFixture) -> None:
    invitee = await create_user()
    await invite(client, guild, invitee.email)
    token = await invitation_token(invitee.email)
    first = await client.post(ACCEPT, json={"token": token}, headers=invitee.headers)
    assert first.status_code == 200
    # Left, and tries the used link again.
    await client.delete(
        guild_path(guild.id, f"/members/{invitee.id}"), headers=invitee.headers
    )
    again = await client.post(ACCEPT, json={"token": token}, headers=invitee.headers)
    assert again.status_code == 400
    assert again.json()["code"] == "INVALID_OR_EXPIRED_INVITATION"


async def test_concurrent_accepts_of_one_link_join_once(
    client, guild: GuildFixture
) -> None:
    invitee = await create_user()
    await invite(client, guild, invitee.email)
    token = await invitation_token(invitee.email)
    responses = await asyncio.gather(
        *(
            client.post(ACCEPT, json={"token": token}, headers=invitee.headers)
            for _ in range(10)
        )
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses[200] == 1 and statuses[200] + statuses[400] + statuses[409] == 10
    assert (
        await GuildMember.count().where(
            (GuildMember.guild == guild.id) & (GuildMember.user == invitee.id)
        )
        == 1
    )


async def test_an_expired_link_is_refused(client, guild: GuildFixture) -> None:
    invitee = await create_user()
    created = (await invite(client, guild, invitee.email)).json()
    await GuildInvitation.update(
        {GuildInvitation.expires_at: datetime.now(UTC) - timedelta(seconds=1)}
    ).where(GuildInvitation.id == created["id"])
    token = await invitation_token(invitee.email)
    response = await client.post(ACCEPT, json={"token": token}, headers=invitee.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_OR_EXPIRED_INVITATION"
    pending = await client.get(
        guild_path(guild.id, "/invitations"), headers=guild.owner.headers
    )
    assert created["id"] not in {i["id"] for i in pending.json()}


async def test_a_revoked_link_is_refused(client, guild: GuildFixture) -> None:
    invitee = await create_user()
    created = (await invite(client, guild, invitee.email, by=guild.admin)).json()
    pending = await client.get(
        guild_path(guild.id, "/invitations"), headers=guild.admin.headers
    )
    assert created["id"] in {i["id"] for i in pending.json()}

    path = guild_path(guild.id, f"/invitations/{created['id']}")
    by_member = await client.delete(path, headers=guild.member.headers)
    assert by_member.status_code == 403
    revoked = await client.delete(path, headers=guild.admin.headers)
    assert revoked.status_code == 200
    twice = await client.delete(path, headers=guild.admin.headers)
    assert twice.status_code == 404
    assert twice.json()["code"] == "INVITATION_NOT_FOUND"

    token = await invitation_token(invitee.email)
    response = await client.post(ACCEPT, json={"token": token}, headers=invitee.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_OR_EXPIRED_INVITATION"


async def test_inviting_again_makes_only_the_newest_link_work(
    client, guild: GuildFixture
) -> None:
    invitee = await create_user()
    await invite(client, guild, invitee.email)
    old = await invitation_token(invitee.email)
    await invite(client, guild, invitee.email)
    new = await invitation_token(invitee.email)
    assert old != new
    refused = await client.post(ACCEPT, json={"token": old}, headers=invitee.headers)
    assert refused.status_code == 400
    accepted = await client.post(ACCEPT, json={"token": new}, headers=invitee.headers)
    assert accepted.status_code == 200


async def test_unknown_tokens_are_refused(client, guild: GuildFixture) -> None:
    response = await client.post(
        ACCEPT, json={"token": "x" * 43}, headers=guild.outsider.headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_OR_EXPIRED_INVITATION"


async def test_only_owners_invite_owners(client, guild: GuildFixture) -> None:
    address = f"o-{uuid.uuid4().hex[:8]}@example.com"
    by_admin = await invite(client, guild, address, "owner", by=guild.admin)
    assert by_admin.status_code == 403
    assert await mails_to(address) == []
    by_owner = await invite(client, guild, address, "owner")
    assert by_owner.status_code == 201


async def test_members_and_outsiders_cannot_invite(client, guild: GuildFixture) -> None:
    address = f"m-{uuid.uuid4().hex[:8]}@example.com"
    assert (await invite(client, guild, address, by=guild.member)).status_code == 403
    assert (await invite(client, guild, address, by=guild.outsider)).status_code == 404
    assert await mails_to(address) == []


async def test_inviting_a_member_is_a_conflict(client, guild: GuildFixture) -> None:
    response = await invite(client, guild, guild.member.email)
    assert response.status_code == 409
    assert response.json()["code"] == "ALREADY_MEMBER"


async def test_invitations_per_inviter_are_limited(client) -> None:
    import httpx

    from main import create_app
    from mana_core_auth.settings import Settings

    app = create_app(Settings(rate_limit_guild_invitations_per_inviter=2))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    owner = await create_user()
    guild = await create_guild(client, owner)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as limited:
        statuses = [
            (
                await limited.post(
                    guild_path(guild["id"], "/invite"),
                    json={"email": f"r{i}-{uuid.uuid4().hex[:6]}@example.com"},
                    headers=owner.headers,
                )
            ).status_code
            for i in range(3)
        ]
    assert statuses == [201, 201, 429]
