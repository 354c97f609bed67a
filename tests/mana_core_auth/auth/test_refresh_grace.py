"""Concurrent refreshes and retries never log a user out: a refresh token
exchanged less than REFRESH_REUSE_GRACE_SECONDS ago, whose successor is still
the session's current token, answers that same successor again. Older
tokens, and any reuse after the window, end the whole session."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import jwt

from auth_tables.tables import SecurityEvent, SecurityEventType, Session
from mana_core_auth.security.tokens import hash_token
from tests.mana_core_auth.auth.support import Caller, bearer, new_caller


async def _refresh(client, refresh_token: str):
    return await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": refresh_token}
    )


def _session_id(access_token: str) -> uuid.UUID:
    claims = jwt.decode(access_token, options={"verify_signature": False})
    return uuid.UUID(claims["sessionId"])


async def _reuse_events(caller: Caller) -> int:
    return await SecurityEvent.count().where(
        (SecurityEvent.user == uuid.UUID(caller.id))
        & (SecurityEvent.event_type == SecurityEventType.refresh_token_reuse)
    )


async def _rows(caller: Caller) -> list[dict]:
    return await Session.select().where(Session.user == uuid.UUID(caller.id))


async def _assert_alive(client, caller: Caller, refresh_token: str) -> None:
    """The session goes on: its newest token refreshes, the access token
    it gives works, and nothing was flagged."""
    onward = await _refresh(client, refresh_token)
    assert onward.status_code == 200, onward.text
    me = await client.get(
        "/api/v1/auth/me", headers=bearer(onward.json()["accessToken"])
    )
    assert me.status_code == 200
    assert await _reuse_events(caller) == 0


async def _concurrent(client, caller: Caller, count: int) -> list:
    responses = await asyncio.gather(
        *(_refresh(client, caller.refresh_token) for _ in range(count))
    )
    statuses = [response.status_code for response in responses]
    successors = {r.json()["refreshToken"] for r in responses if r.status_code == 200}
    rows = await _rows(caller)
    live = [row for row in rows if row["revoked_at"] is None]
    print(
        f"\n{count} concurrent refreshes of one token: {statuses.count(200)} x 200, "
        f"{statuses.count(401)} x 401, {len(successors)} distinct refresh token(s), "
        f"{len(rows) - 1} successor row(s), {len(live)} live row(s)"
    )
    # Every answer is the one successor, or at worst a 401 that ended nothing.
    assert set(statuses) <= {200, 401}
    assert len(successors) == 1
    assert len(rows) == 2, "one successor row"
    assert [row["refresh_token_hash"] for row in live] == [hash_token(*successors)]
    return responses


async def test_two_concurrent_refreshes_keep_the_session(client) -> None:
    caller = await new_caller(client)
    responses = await _concurrent(client, caller, 2)
    assert [response.status_code for response in responses] == [200, 200]
    await _assert_alive(client, caller, responses[0].json()["refreshToken"])


async def test_twenty_concurrent_refreshes_keep_the_session(client) -> None:
    caller = await new_caller(client)
    responses = await _concurrent(client, caller, 20)
    token = next(r.json()["refreshToken"] for r in responses if r.status_code == 200)
    await _assert_alive(client, caller, token)


async def test_a_retry_within_the_window_gets_the_same_successor(client) -> None:
    caller = await new_caller(client)
    first = await _refresh(client, caller.refresh_token)
    retry = await _refresh(client, caller.refresh_token)
    assert first.status_code == retry.status_code == 200
    assert retry.json()["refreshToken"] == first.json()["refreshToken"]
    assert retry.json()["accessToken"] != first.json()["accessToken"]
    assert _session_id(retry.json()["accessToken"]) == _session_id(caller.access_token)
    for answer in (first, retry):
        me = await client.get(
            "/api/v1/auth/me", headers=bearer(answer.json()["accessToken"])
        )
        assert me.status_code == 200
    await _assert_alive(client, caller, first.json()["refreshToken"])


async def test_reuse_after_the_window_ends_the_session(client) -> None:
    caller = await new_caller(client)
    successor = (await _refresh(client, caller.refresh_token)).json()
    # The exchange happened 11 s ago (the window is 10 s).
    await Session.update(
        {Session.revoked_at: Session.revoked_at - timedelta(seconds=11)}
    ).where(Session.refresh_token_hash == hash_token(caller.refresh_token))
    late = await _refresh(client, caller.refresh_token)
    assert late.status_code == 401
    assert late.json()["code"] == "INVALID_REFRESH_TOKEN"
    assert (await _refresh(client, successor["refreshToken"])).status_code == 401
    me = await client.get("/api/v1/auth/me", headers=bearer(successor["accessToken"]))
    assert me.status_code == 401
    assert all(row["revoked_at"] for row in await _rows(caller))
    assert await _reuse_events(caller) == 1


async def test_without_a_window_any_reuse_ends_the_session(limited_client) -> None:
    async with limited_client(refresh_reuse_grace_seconds=0) as http:
        caller = await new_caller(http)
        successor = (await _refresh(http, caller.refresh_token)).json()
        assert (await _refresh(http, caller.refresh_token)).status_code == 401
        assert (await _refresh(http, successor["refreshToken"])).status_code == 401
        assert await _reuse_events(caller) == 1


async def test_a_token_two_rotations_old_ends_the_session_at_once(client) -> None:
    caller = await new_caller(client)
    second = (await _refresh(client, caller.refresh_token)).json()
    third = (await _refresh(client, second["refreshToken"])).json()
    # Within the window, but its successor is no longer the current token.
    stale = await _refresh(client, caller.refresh_token)
    assert stale.status_code == 401
    assert (await _refresh(client, third["refreshToken"])).status_code == 401
    me = await client.get("/api/v1/auth/me", headers=bearer(third["accessToken"]))
    assert me.status_code == 401
    assert await _reuse_events(caller) == 1


async def test_a_logged_out_session_stays_ended_within_the_window(client) -> None:
    caller = await new_caller(client)
    successor = (await _refresh(client, caller.refresh_token)).json()
    logout = await client.post(
        "/api/v1/auth/logout", headers=bearer(successor["accessToken"])
    )
    assert logout.status_code == 200
    assert (await _refresh(client, caller.refresh_token)).status_code == 401
    assert (await _refresh(client, successor["refreshToken"])).status_code == 401


async def test_successor_tokens_are_stored_only_as_hashes(client) -> None:
    caller = await new_caller(client)
    successor = (await _refresh(client, caller.refresh_token)).json()["refreshToken"]
    assert len(successor) * 6 >= 256
    stored = str(await _rows(caller))
    assert successor not in stored and caller.refresh_token not in stored
    assert hash_token(successor) in stored
