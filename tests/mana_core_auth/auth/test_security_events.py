"""What `security_events` records, and that no secret reaches it or a log."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

from auth_tables.tables import Password, SecurityEvent, Session
from mana_core_auth.security.tokens import hash_token
from tests.mana_core_auth.auth.support import (
    PASSWORD,
    bearer,
    login,
    register,
    unique_email,
)

NEW_PASSWORD = "tangerine-bicycle-orbit-77"


async def _an_accounts_life(client) -> tuple[str, list[str]]:
    """Register, fail, log in twice, refresh, replay, change the password,
    end a session, log out. Returns the user id and every secret seen."""
    user = await register(client)
    email = user["email"]
    secrets = [PASSWORD, NEW_PASSWORD, "wrong-password-typed-here"]
    assert (await login(client, email, secrets[2])).status_code == 401
    first = (await login(client, email, deviceName="phone")).json()
    second = (await login(client, email, deviceName="tablet")).json()
    refreshed = (
        await client.post(
            "/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]}
        )
    ).json()
    # Replayed after the grace window (10 s) of its exchange.
    await Session.update(
        {Session.revoked_at: Session.revoked_at - timedelta(seconds=11)}
    ).where(Session.refresh_token_hash == hash_token(first["refreshToken"]))
    replay = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": first["refreshToken"]}
    )
    assert replay.status_code == 401
    third = (await login(client, email)).json()
    changed = await client.post(
        "/api/v1/auth/change-password",
        headers=bearer(third["accessToken"]),
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
    )
    assert changed.status_code == 200
    fourth = (await login(client, email, NEW_PASSWORD)).json()
    session_id = json.loads(
        (
            await client.post(
                "/api/v1/auth/validate", json={"token": fourth["accessToken"]}
            )
        ).text
    )["payload"]["sessionId"]
    ended = await client.delete(
        f"/api/v1/auth/sessions/{session_id}", headers=bearer(third["accessToken"])
    )
    assert ended.status_code == 200
    assert (
        await client.post("/api/v1/auth/logout", headers=bearer(third["accessToken"]))
    ).status_code == 200
    for tokens in (first, second, refreshed, third, fourth):
        secrets += [tokens["accessToken"], tokens["refreshToken"]]
    for tokens in (first, second, third, fourth):
        secrets.append(tokens["deviceToken"])
    stored = await Password.select(Password.hashed_password).where(
        Password.user == uuid.UUID(user["id"])
    )
    secrets += [row["hashed_password"] for row in stored]
    return user["id"], secrets


async def test_events_record_the_accounts_life_without_secrets(client) -> None:
    user_id, secrets = await _an_accounts_life(client)
    events = (
        await SecurityEvent.select()
        .where(SecurityEvent.user == uuid.UUID(user_id))
        .order_by(SecurityEvent.created_at)
        .output(load_json=True)
    )
    assert [event["event_type"] for event in events] == [
        "register",
        "email_verification_sent",
        "login_failed",
        "login",
        "login",
        "refresh_token_reuse",
        "login",
        "password_change",
        "login",
        "session_revoked",
        "logout",
    ]
    assert all(event["ip_address"] == "127.0.0.1" for event in events)
    stored = json.dumps(events, default=str)
    for secret in secrets:
        assert secret not in stored


async def test_unknown_email_failure_is_recorded_without_the_email(client) -> None:
    email = unique_email("nobody")
    assert (await login(client, email)).status_code == 401
    rows = await SecurityEvent.select().where(SecurityEvent.user.is_null())
    assert any(row["event_type"] == "login_failed" for row in rows)
    assert email not in json.dumps(rows, default=str)


async def test_no_password_token_or_hash_in_any_log_line(client, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        _, secrets = await _an_accounts_life(client)
    logged = "\n".join(
        record.getMessage() + repr(record.args) for record in caplog.records
    )
    for secret in secrets:
        assert secret not in logged
