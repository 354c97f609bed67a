"""POST /auth/refresh: rotation, reuse detection, the concurrent race."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from auth_tables.tables import SecurityEvent, SecurityEventType, Session
from tests.mana_core_auth.auth.support import Caller, bearer


async def _refresh(client, refresh_token: str):
    return await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": refresh_token}
    )


def _session_id(access_token: str) -> uuid.UUID:
    claims = jwt.decode(access_token, options={"verify_signature": False})
    return uuid.UUID(claims["sessionId"])


async def test_refresh_answers_like_login_and_rotates(client, caller: Caller) -> None:
    response = await _refresh(client, caller.refresh_token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "user",
        "accessToken",
        "refreshToken",
        "expiresIn",
        "tokenType",
    }
    assert body["user"]["id"] == caller.id
    assert body["refreshToken"] != caller.refresh_token
    session_id = _session_id(caller.access_token)
    assert _session_id(body["accessToken"]) == session_id, "the session goes on"
    old, new = (
        await Session.objects()
        .where(Session.family_id == session_id)
        .order_by(Session.created_at)
    )
    assert old.revoked_at is not None and old.replaced_by == new.id
    assert new.revoked_at is None
    assert new.expires_at == old.expires_at  # refreshing does not extend the family
    for access_token in (body["accessToken"], caller.access_token):
        me = await client.get("/api/v1/auth/me", headers=bearer(access_token))
        assert me.status_code == 200, "an access token lives until it expires"


async def test_refresh_tokens_carry_at_least_128_random_bits(caller) -> None:
    # URL-safe base64: 6 bits per character.
    assert len(caller.refresh_token) * 6 >= 128
    assert len(set(caller.refresh_token)) > 16


async def test_expired_refresh_token_is_refused_without_alarm(client, caller) -> None:
    session_id = _session_id(caller.access_token)
    await Session.update(
        {Session.refresh_token_expires_at: datetime.now(UTC) - timedelta(seconds=1)}
    ).where(Session.family_id == session_id)
    response = await _refresh(client, caller.refresh_token)
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_REFRESH_TOKEN"
    reuse = await SecurityEvent.count().where(
        (SecurityEvent.user == uuid.UUID(caller.id))
        & (SecurityEvent.event_type == SecurityEventType.refresh_token_reuse)
    )
    assert reuse == 0


async def test_unknown_refresh_token_is_refused(client) -> None:
    response = await _refresh(client, "not-a-token-this-service-issued")
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_REFRESH_TOKEN"


async def test_reuse_after_three_rotations_ends_the_family(client, caller) -> None:
    tokens = [caller.refresh_token]
    access = caller.access_token
    for _ in range(3):
        body = (await _refresh(client, tokens[-1])).json()
        tokens.append(body["refreshToken"])
        access = body["accessToken"]

    replay = await _refresh(client, tokens[1])  # rotated two rotations ago
    assert replay.status_code == 401

    assert (await _refresh(client, tokens[-1])).status_code == 401
    me = await client.get("/api/v1/auth/me", headers=bearer(access))
    assert me.status_code == 401
    family = await Session.select(Session.revoked_at).where(
        Session.user == uuid.UUID(caller.id)
    )
    assert len(family) == 4 and all(row["revoked_at"] for row in family)
    events = (
        await SecurityEvent.select(SecurityEvent.metadata)
        .where(
            (SecurityEvent.user == uuid.UUID(caller.id))
            & (SecurityEvent.event_type == SecurityEventType.refresh_token_reuse)
        )
        .output(load_json=True)
    )
    assert len(events) >= 1
    assert events[0]["metadata"]["revoked_sessions"] == 1


async def test_twenty_concurrent_refreshes_make_at_most_one_successor(
    client, caller
) -> None:
    responses = await asyncio.gather(
        *(_refresh(client, caller.refresh_token) for _ in range(20))
    )
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {200, 401}
    rows = await Session.select(Session.id).where(Session.user == uuid.UUID(caller.id))
    successors = len(rows) - 1
    print(
        f"\n20 concurrent refreshes of one token: {statuses.count(200)} x 200, "
        f"{successors} successor session(s) in the database"
    )
    assert successors <= 1
