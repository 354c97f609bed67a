"""Malformed requests to the guild and pool routes: a 4xx in the error
envelope, never a 500, and nothing changes."""

from __future__ import annotations

import pytest

from credit_tables.tables import GuildPool
from tests.mana_core_auth.guilds.support import (
    GUILDS,
    GuildFixture,
    fund,
    guild_path,
    pool_path,
)

NUL = "a\x00b"
BODIES: dict[str, list[object]] = {
    "create": [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": 5},
        {"name": NUL},
        {"name": "ok", "slug": "Not A Slug"},
        {"name": "ok", "slug": "-edge-"},
        {"name": "ok", "slug": "a--b"},
        {"name": "ok", "slug": "x" * 65},
        {"name": "ok", "owner": "me"},
        [],
        "name",
    ],
    "update": [{}, {"name": None, "slug": None}, {"name": "\u2028"}, {"slug": 1}],
    "invite": [
        {},
        {"email": "not-an-email"},
        {"email": "a@example.com", "role": "king"},
        {"email": "a@example.com", "role": None},
        {"email": NUL + "@example.com"},
        {"email": "a@example.com", "message": "hi"},
    ],
    "accept": [{}, {"token": ""}, {"token": 5}, {"token": "x" * 129}, {"token": NUL}],
    "role": [{}, {"role": "king"}, {"role": 1}],
    "fund": [
        {},
        {"amount": 0},
        {"amount": -5},
        {"amount": 1.0},
        {"amount": "1"},
        {"amount": True},
        {"amount": 10**7},
        {"amount": 10**30},
        {"amount": 1, "idempotencyKey": ""},
        {"amount": 1, "idempotencyKey": NUL},
        {"amount": 1, "idempotencyKey": "k" * 256},
        {"amount": 1, "extra": 1},
    ],
    "use": [
        {},
        {"amount": 1},
        {"amount": 1, "appId": "", "description": "d"},
        {"amount": 0, "appId": "a", "description": "d"},
        {"amount": 1, "appId": "a", "description": NUL},
        {"amount": 1, "appId": "a", "description": "d", "metadata": [1]},
        {"amount": 1, "appId": "a", "description": "d", "metadata": {"x": NUL}},
    ],
    "limits": [
        {},
        {"dailyLimit": 1},
        {"dailyLimit": -1, "monthlyLimit": None},
        {"dailyLimit": 2**31, "monthlyLimit": None},
        {"dailyLimit": 1.5, "monthlyLimit": None},
        {"dailyLimit": "5", "monthlyLimit": None},
    ],
    "refund": [{}, {"reason": ""}, {"reason": NUL}],
}


def path_for(kind: str, guild: GuildFixture) -> tuple[str, str]:
    return {
        "create": ("POST", GUILDS),
        "update": ("PUT", guild_path(guild.id)),
        "invite": ("POST", guild_path(guild.id, "/invite")),
        "accept": ("POST", f"{GUILDS}/accept-invitation"),
        "role": ("PUT", guild_path(guild.id, f"/members/{guild.member.id}/role")),
        "fund": ("POST", pool_path(guild.id, "/fund")),
        "use": ("POST", pool_path(guild.id, "/use")),
        "limits": ("PUT", pool_path(guild.id, f"/members/{guild.member.id}/limits")),
        "refund": ("POST", pool_path(guild.id, f"/transactions/{guild.id}/refund")),
    }[kind]


def assert_envelope(response, allowed=(400, 403, 404, 405, 409, 413, 415, 422)):
    assert response.status_code in allowed, (response.status_code, response.text)
    body = response.json()
    assert body["statusCode"] == response.status_code
    assert {"code", "message", "timestamp", "path"} <= set(body)


@pytest.mark.parametrize(
    ("kind", "index"),
    [(kind, i) for kind, bodies in BODIES.items() for i in range(len(bodies))],
)
async def test_malformed_bodies_are_refused(client, guild, kind, index) -> None:
    await fund(client, guild.id, guild.owner, 10)
    before = await GuildPool.select().where(GuildPool.guild == guild.id)
    method, path = path_for(kind, guild)
    response = await client.request(
        method, path, json=BODIES[kind][index], headers=guild.owner.headers
    )
    assert_envelope(response)
    if kind != "refund":  # refunds need a service token: 403 comes first
        assert response.status_code == 400, response.text
    assert await GuildPool.select().where(GuildPool.guild == guild.id) == before


@pytest.mark.parametrize(
    "path",
    [
        f"{GUILDS}/not-a-uuid",
        f"{GUILDS}/not-a-uuid/invite",
        "/api/v1/credits/guild/123/balance",
        "/api/v1/credits/guild/00000000-0000-0000-0000-00000000000g/use",
    ],
)
async def test_malformed_ids_are_refused(client, guild, path) -> None:
    method = "POST" if path.endswith(("invite", "use")) else "GET"
    response = await client.request(method, path, json={}, headers=guild.owner.headers)
    assert_envelope(response)


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 2**63},
        {"type": "bonus"},
        {"userId": "me"},
    ],
)
async def test_malformed_ledger_queries_are_refused(client, guild, query) -> None:
    response = await client.get(
        pool_path(guild.id, "/transactions"), params=query, headers=guild.member.headers
    )
    assert_envelope(response)
    assert response.status_code == 400


async def test_a_body_that_is_not_json_is_refused(client, guild) -> None:
    for content, content_type in [
        (b"{", "application/json"),
        (b"amount=1", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "application/json"),
    ]:
        response = await client.post(
            pool_path(guild.id, "/fund"),
            content=content,
            headers={**guild.member.headers, "Content-Type": content_type},
        )
        assert_envelope(response)


async def test_a_huge_offset_is_answered(client, guild) -> None:
    response = await client.get(
        pool_path(guild.id, "/transactions"),
        params={"offset": 2**63 - 1},
        headers=guild.member.headers,
    )
    assert response.status_code == 200 and response.json() == []
