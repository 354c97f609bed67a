"""Logout, validate, me, the session list, ending sessions, changing the
password: each ends what it should, at once."""

from __future__ import annotations

import uuid

import jwt

from auth_tables.tables import SecurityEvent, SecurityEventType, Session
from tests.mana_core_auth.auth.support import (
    PASSWORD,
    Caller,
    bearer,
    login,
)

NEW_PASSWORD = "tangerine-bicycle-orbit-77"


def _session_id(access_token: str) -> str:
    return jwt.decode(access_token, options={"verify_signature": False})["sessionId"]


async def _validate(client, token: str):
    return await client.post("/api/v1/auth/validate", json={"token": token})


async def _second_login(client, caller: Caller, device: str) -> dict:
    response = await login(client, caller.email, deviceId=device, deviceName=device)
    assert response.status_code == 200
    body: dict = response.json()
    return body


async def test_validate_answers_200_with_the_payload(client, caller) -> None:
    response = await _validate(client, caller.access_token)
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["payload"]["sub"] == caller.id
    assert body["payload"]["email"] == caller.email
    assert "error" not in body or body["error"] is None


async def test_validate_answers_200_valid_false_for_garbage(client) -> None:
    response = await _validate(client, "not.a.token")
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False and body["error"]


async def test_logout_revokes_the_session(client, caller) -> None:
    response = await client.post("/api/v1/auth/logout", headers=caller.headers)
    assert response.status_code == 200
    assert response.json() == {"message": "Logged out"}
    assert (
        await client.get("/api/v1/auth/me", headers=caller.headers)
    ).status_code == 401
    validated = (await _validate(client, caller.access_token)).json()
    assert validated["valid"] is False
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": caller.refresh_token}
    )
    assert refreshed.status_code == 401
    session = (
        await Session.objects()
        .where(Session.family_id == uuid.UUID(_session_id(caller.access_token)))
        .first()
    )
    assert session is not None and session.revoked_at is not None


async def test_logout_needs_a_token(client) -> None:
    response = await client.post("/api/v1/auth/logout")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


async def test_me_describes_the_caller(client, caller) -> None:
    response = await client.get("/api/v1/auth/me", headers=caller.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == caller.id and body["email"] == caller.email
    assert body["role"] == "user" and body["emailVerified"] is False
    assert set(body) == {
        "id",
        "email",
        "emailVerified",
        "name",
        "avatarUrl",
        "role",
        "createdAt",
    }


async def test_sessions_lists_live_ones_and_marks_the_current(client, caller) -> None:
    other = await _second_login(client, caller, "tablet")
    ended = await _second_login(client, caller, "old-laptop")
    await client.post("/api/v1/auth/logout", headers=bearer(ended["accessToken"]))

    response = await client.get("/api/v1/auth/sessions", headers=caller.headers)
    assert response.status_code == 200
    sessions = response.json()["sessions"]
    assert {s["id"] for s in sessions} == {
        _session_id(caller.access_token),
        _session_id(other["accessToken"]),
    }
    current = [s for s in sessions if s["current"]]
    assert [s["id"] for s in current] == [_session_id(caller.access_token)]
    tablet = next(s for s in sessions if not s["current"])
    assert tablet["deviceName"] == "tablet"
    assert tablet["ipAddress"] == "127.0.0.1"


async def test_deleting_a_session_ends_only_that_one(client, caller) -> None:
    other = await _second_login(client, caller, "tablet")
    other_id = _session_id(other["accessToken"])
    response = await client.delete(
        f"/api/v1/auth/sessions/{other_id}", headers=caller.headers
    )
    assert response.status_code == 200
    assert (await _validate(client, other["accessToken"])).json()["valid"] is False
    assert (await _validate(client, caller.access_token)).json()["valid"] is True
    again = await client.delete(
        f"/api/v1/auth/sessions/{other_id}", headers=caller.headers
    )
    assert again.status_code == 404
    assert again.json()["code"] == "NOT_FOUND"


async def test_an_id_listed_before_a_refresh_still_ends_that_session(
    client, caller
) -> None:
    other = await _second_login(client, caller, "tablet")
    listed_id = _session_id(other["accessToken"])
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": other["refreshToken"]}
    )
    assert refreshed.status_code == 200
    response = await client.delete(
        f"/api/v1/auth/sessions/{listed_id}", headers=caller.headers
    )
    assert response.status_code == 200
    fresh = refreshed.json()
    assert (await _validate(client, fresh["accessToken"])).json()["valid"] is False
    again = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": fresh["refreshToken"]}
    )
    assert again.status_code == 401


async def test_a_session_of_someone_else_cannot_be_deleted(client, caller) -> None:
    from tests.mana_core_auth.auth.support import new_caller

    stranger = await new_caller(client)
    response = await client.delete(
        f"/api/v1/auth/sessions/{_session_id(stranger.access_token)}",
        headers=caller.headers,
    )
    assert response.status_code == 404
    assert (await _validate(client, stranger.access_token)).json()["valid"] is True


async def test_logout_all_ends_every_session(client, caller) -> None:
    other = await _second_login(client, caller, "tablet")
    response = await client.post("/api/v1/auth/logout-all", headers=caller.headers)
    assert response.status_code == 200
    assert response.json()["revokedSessions"] == 2
    for token in (caller.access_token, other["accessToken"]):
        assert (await _validate(client, token)).json()["valid"] is False
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": other["refreshToken"]}
    )
    assert refreshed.status_code == 401


async def test_change_password_needs_the_current_one(client, caller) -> None:
    response = await client.post(
        "/api/v1/auth/change-password",
        headers=caller.headers,
        json={"currentPassword": "not-my-password-1", "newPassword": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_CURRENT_PASSWORD"
    assert (await login(client, caller.email, PASSWORD)).status_code == 200
    failures = (
        await SecurityEvent.select(SecurityEvent.metadata)
        .where(
            (SecurityEvent.user == uuid.UUID(caller.id))
            & (SecurityEvent.event_type == SecurityEventType.login_failed)
        )
        .output(load_json=True)
    )
    assert failures == [{"metadata": {"reason": "wrong_current_password"}}]


async def test_change_password_refuses_common_and_short_ones(client, caller) -> None:
    for new_password, code in (
        ("iloveyou1234", "WEAK_PASSWORD"),
        ("short-pw", "VALIDATION_FAILED"),
    ):
        response = await client.post(
            "/api/v1/auth/change-password",
            headers=caller.headers,
            json={"currentPassword": PASSWORD, "newPassword": new_password},
        )
        assert response.status_code == 400
        assert response.json()["code"] == code


async def test_change_password_ends_the_other_sessions(client, caller) -> None:
    other = await _second_login(client, caller, "tablet")
    response = await client.post(
        "/api/v1/auth/change-password",
        headers=caller.headers,
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
    )
    assert response.status_code == 200, response.text
    assert response.json()["revokedSessions"] == 1
    assert (await _validate(client, caller.access_token)).json()["valid"] is True
    assert (await _validate(client, other["accessToken"])).json()["valid"] is False
    assert (await login(client, caller.email, PASSWORD)).status_code == 401
    assert (await login(client, caller.email, NEW_PASSWORD)).status_code == 200
    events = await SecurityEvent.select(SecurityEvent.event_type).where(
        (SecurityEvent.user == uuid.UUID(caller.id))
        & (SecurityEvent.event_type == SecurityEventType.password_change)
    )
    assert len(events) == 1
