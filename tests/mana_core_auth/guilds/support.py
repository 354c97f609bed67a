"""Helpers for the guild tests: users with a balance and a token (made in
the database, see `credits.support`), guilds made through the API, members
added as an accepted invitation adds them, and the invitation mails kept in
the outbox."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from auth_tables.tables import Guild, GuildRole, OutboxMessage
from mana_core_auth.guilds.membership import join
from tests.mana_core_auth.credits.support import CreditUser, create_user

GUILDS = "/api/v1/guilds"
TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")


def guild_path(guild_id: Any, rest: str = "") -> str:
    return f"{GUILDS}/{guild_id}{rest}"


def pool_path(guild_id: Any, rest: str) -> str:
    return f"/api/v1/credits/guild/{guild_id}{rest}"


@dataclass(frozen=True)
class GuildFixture:
    id: uuid.UUID
    owner: CreditUser
    admin: CreditUser
    member: CreditUser
    outsider: CreditUser

    def caller(self, role: str) -> CreditUser:
        return getattr(self, role)


async def create_guild(
    client: httpx.AsyncClient, owner: CreditUser, name: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        GUILDS,
        json={"name": name or f"Guild {uuid.uuid4().hex[:8]}"},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_member(
    guild_id: uuid.UUID, user: CreditUser, role: GuildRole = GuildRole.member
) -> None:
    """As an accepted invitation would."""
    async with Guild._meta.db.transaction():
        await Guild.select(Guild.id).where(Guild.id == guild_id).lock_rows()
        await join(guild_id, user.id, role, now=datetime.now(UTC))


async def guild_with_everyone(
    client: httpx.AsyncClient, *, signup_bonus: int | None = None
) -> GuildFixture:
    owner, admin, member, outsider = [
        await create_user(signup_bonus=signup_bonus) for _ in range(4)
    ]
    guild = await create_guild(client, owner)
    guild_id = uuid.UUID(guild["id"])
    await add_member(guild_id, admin, GuildRole.admin)
    await add_member(guild_id, member, GuildRole.member)
    return GuildFixture(guild_id, owner, admin, member, outsider)


async def fund(
    client: httpx.AsyncClient, guild_id: Any, user: CreditUser, amount: int
) -> httpx.Response:
    return await client.post(
        pool_path(guild_id, "/fund"), json={"amount": amount}, headers=user.headers
    )


def use_body(amount: int = 1, **extra: Any) -> dict[str, Any]:
    return {"amount": amount, "appId": "chat", "description": "pool", **extra}


async def mails_to(address: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await (
        OutboxMessage.select()
        .where(OutboxMessage.recipient == address)
        .order_by(OutboxMessage.created_at)
    )
    return rows


async def invitation_token(address: str) -> str:
    """The token of the newest invitation mailed to `address`."""
    mails = await mails_to(address)
    assert mails, f"no mail to {address}"
    found = TOKEN.search(mails[-1]["text"])
    assert found, "no link in the mail"
    return found.group(1)
