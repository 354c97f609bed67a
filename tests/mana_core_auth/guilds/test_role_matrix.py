"""Every route of a guild against every kind of caller: the owner, an
admin, a member, a user outside the guild, a service token and no token.
Each case gets a fresh guild, so that what one case changes cannot decide
another."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from auth_tables.tables import GuildRole, Role
from credit_tables.tables import GuildPool
from tests.mana_core_auth.credits.support import CreditUser, create_user
from tests.mana_core_auth.guilds.support import (
    add_member,
    create_guild,
    fund,
    guild_path,
    pool_path,
    use_body,
)

CALLERS = ("owner", "admin", "member", "outsider", "service", "anonymous")


@dataclass
class World:
    guild_id: uuid.UUID
    callers: dict[str, CreditUser | None]
    other: CreditUser  # a second plain member, the target of member routes
    invitation_id: str
    usage_id: str


async def build_world(client) -> World:
    owner, admin, member, other, outsider = [await create_user() for _ in range(5)]
    service = await create_user(role=Role.service, with_balance=False)
    guild_id = uuid.UUID((await create_guild(client, owner))["id"])
    await add_member(guild_id, admin, GuildRole.admin)
    await add_member(guild_id, member)
    await add_member(guild_id, other)
    assert (await fund(client, guild_id, owner, 10)).status_code == 201
    usage = await client.post(
        pool_path(guild_id, "/use"), json=use_body(1), headers=other.headers
    )
    invitation = await client.post(
        guild_path(guild_id, "/invite"),
        json={"email": f"pending-{uuid.uuid4().hex[:8]}@example.com"},
        headers=owner.headers,
    )
    return World(
        guild_id=guild_id,
        callers={
            "owner": owner,
            "admin": admin,
            "member": member,
            "outsider": outsider,
            "service": service,
            "anonymous": None,
        },
        other=other,
        invitation_id=invitation.json()["id"],
        usage_id=usage.json()["transaction"]["id"],
    )


def new_email() -> str:
    return f"invitee-{uuid.uuid4().hex[:8]}@example.com"


# (name, method, path, body, expected status per caller in CALLERS order).
# The pool holds credits, so the owner's delete passes the role check and
# stops at GUILD_POOL_NOT_EMPTY (an empty pool's delete: test_membership).
ROUTES: list[tuple[str, str, Any, Any, tuple[int, ...]]] = [
    (
        "read guild",
        "GET",
        lambda w: guild_path(w.guild_id),
        None,
        (200, 200, 200, 404, 404, 401),
    ),
    (
        "rename guild",
        "PUT",
        lambda w: guild_path(w.guild_id),
        lambda w: {"name": "N"},
        (200, 200, 403, 404, 404, 401),
    ),
    (
        "delete guild",
        "DELETE",
        lambda w: guild_path(w.guild_id),
        None,
        (409, 403, 403, 404, 404, 401),
    ),
    (
        "invite",
        "POST",
        lambda w: guild_path(w.guild_id, "/invite"),
        lambda w: {"email": new_email(), "role": "member"},
        (201, 201, 403, 404, 404, 401),
    ),
    (
        "list invitations",
        "GET",
        lambda w: guild_path(w.guild_id, "/invitations"),
        None,
        (200, 200, 403, 404, 404, 401),
    ),
    (
        "revoke invitation",
        "DELETE",
        lambda w: guild_path(w.guild_id, f"/invitations/{w.invitation_id}"),
        None,
        (200, 200, 403, 404, 404, 401),
    ),
    (
        "remove member",
        "DELETE",
        lambda w: guild_path(w.guild_id, f"/members/{w.other.id}"),
        None,
        (200, 200, 403, 404, 404, 401),
    ),
    (
        "change role",
        "PUT",
        lambda w: guild_path(w.guild_id, f"/members/{w.other.id}/role"),
        lambda w: {"role": "admin"},
        (200, 403, 403, 404, 404, 401),
    ),
    (
        "pool balance",
        "GET",
        lambda w: pool_path(w.guild_id, "/balance"),
        None,
        (200, 200, 200, 404, 404, 401),
    ),
    (
        "fund",
        "POST",
        lambda w: pool_path(w.guild_id, "/fund"),
        lambda w: {"amount": 1},
        (201, 201, 201, 404, 404, 401),
    ),
    (
        "use",
        "POST",
        lambda w: pool_path(w.guild_id, "/use"),
        lambda w: use_body(1),
        (201, 201, 201, 404, 404, 401),
    ),
    (
        "pool ledger",
        "GET",
        lambda w: pool_path(w.guild_id, "/transactions"),
        None,
        (200, 200, 200, 404, 404, 401),
    ),
    (
        "read limits",
        "GET",
        lambda w: pool_path(w.guild_id, f"/members/{w.other.id}/limits"),
        None,
        (200, 200, 403, 404, 404, 401),
    ),
    (
        "set limits",
        "PUT",
        lambda w: pool_path(w.guild_id, f"/members/{w.other.id}/limits"),
        lambda w: {"dailyLimit": 5, "monthlyLimit": 50},
        (200, 200, 403, 404, 404, 401),
    ),
    (
        "refund usage",
        "POST",
        lambda w: pool_path(w.guild_id, f"/transactions/{w.usage_id}/refund"),
        lambda w: {"reason": "failed"},
        (403, 403, 403, 403, 201, 401),
    ),
]


@pytest.mark.parametrize(
    ("route", "caller", "expected"),
    [
        pytest.param(name, caller, statuses[i], id=f"{name}-{caller}")
        for name, _, _, _, statuses in ROUTES
        for i, caller in enumerate(CALLERS)
    ],
)
async def test_route_answers_the_caller(client, route, caller, expected) -> None:
    _, method, path, body, _ = next(r for r in ROUTES if r[0] == route)
    world = await build_world(client)
    user = world.callers[caller]
    headers = user.headers if user else {}
    pool_before = await GuildPool.select().where(GuildPool.guild == world.guild_id)
    response = await client.request(
        method,
        path(world),
        json=body(world) if body else None,
        headers=headers,
    )
    assert response.status_code == expected, response.text
    if expected >= 400:
        error = response.json()
        assert error["statusCode"] == expected
        if expected == 404:
            assert error["code"] == "GUILD_NOT_FOUND"
        if expected == 403 and route != "refund usage":
            assert error["code"] == "GUILD_ROLE_REQUIRED"
        # A refused call changes nothing of the pool.
        assert (
            await GuildPool.select().where(GuildPool.guild == world.guild_id)
        ) == pool_before


async def test_a_guild_that_does_not_exist_is_404_for_everyone(client) -> None:
    user = await create_user()
    missing = uuid.uuid4()
    for method, path in [
        ("GET", guild_path(missing)),
        ("GET", pool_path(missing, "/balance")),
        ("GET", pool_path(missing, "/transactions")),
        ("POST", pool_path(missing, "/use")),
    ]:
        body = use_body(1) if method == "POST" else None
        response = await client.request(method, path, json=body, headers=user.headers)
        assert response.status_code == 404, path
        assert response.json()["code"] == "GUILD_NOT_FOUND"
