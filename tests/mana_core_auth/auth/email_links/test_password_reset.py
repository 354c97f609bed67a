"""Password reset end to end: the same answer for every address, a hashed
single-use token that expires and is superseded by a newer one, and a reset
that ends every session."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from auth_tables.tables import SecurityEvent, User, VerificationToken
from mana_core_auth.security.tokens import hash_token
from tests.mana_core_auth.auth.mailbox import link_in, token_in
from tests.mana_core_auth.auth.support import (
    PASSWORD,
    bearer,
    login,
    new_caller,
    unique_email,
)

FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"
NEW_PASSWORD = "tangerine-bicycle-orbit-77"


async def test_forgot_password_answers_the_same_for_unknown_addresses(
    mail_client, smtp_server
) -> None:
    caller = await new_caller(mail_client)
    unknown = unique_email("nobody")
    known_answer = await mail_client.post(
        FORGOT, json={"email": caller.email, "appId": "chat"}
    )
    unknown_answer = await mail_client.post(FORGOT, json={"email": unknown})
    assert known_answer.status_code == unknown_answer.status_code == 202
    assert known_answer.json() == unknown_answer.json()
    assert smtp_server.to(unknown) == []
    mail = smtp_server.to(caller.email)[-1]
    assert mail["Subject"] == "Reset your password"
    assert link_in(mail).startswith("https://chat.example/app/reset-password?token=")


async def test_a_reset_token_is_random_hashed_and_works_once(
    mail_client, smtp_server
) -> None:
    caller = await new_caller(mail_client)
    other_session = (await login(mail_client, caller.email)).json()
    await mail_client.post(FORGOT, json={"email": caller.email})
    token = token_in(smtp_server.to(caller.email)[-1])
    assert len(token) >= 43  # 256 bits, url-safe base64
    stored = await VerificationToken.select().where(
        VerificationToken.user == uuid.UUID(caller.id)
    )
    assert [row["token_hash"] for row in stored if row["type"] == "password_reset"] == [
        hash_token(token)
    ]
    reset = stored[-1]
    assert reset["expires_at"] - reset["created_at"] == timedelta(hours=1)

    response = await mail_client.post(
        RESET, json={"token": token, "password": NEW_PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert response.json()["revokedSessions"] == 2
    for access_token in (caller.access_token, other_session["accessToken"]):
        me = await mail_client.get("/api/v1/auth/me", headers=bearer(access_token))
        assert me.status_code == 401
    assert (await login(mail_client, caller.email, PASSWORD)).status_code == 401
    assert (await login(mail_client, caller.email, NEW_PASSWORD)).status_code == 200

    again = await mail_client.post(
        RESET, json={"token": token, "password": "another-long-passphrase-9"}
    )
    assert again.status_code == 400
    assert again.json()["code"] == "INVALID_OR_EXPIRED_TOKEN"
    events = await SecurityEvent.select(SecurityEvent.event_type).where(
        SecurityEvent.user == uuid.UUID(caller.id)
    )
    kinds = [row["event_type"] for row in events]
    assert {"password_reset_requested", "password_reset"} <= set(kinds)


async def test_a_newer_token_kills_the_older_one(mail_client, smtp_server) -> None:
    caller = await new_caller(mail_client)
    await mail_client.post(FORGOT, json={"email": caller.email})
    await mail_client.post(FORGOT, json={"email": caller.email})
    older, newer = (token_in(mail) for mail in smtp_server.to(caller.email)[-2:])
    dead = await mail_client.post(
        RESET, json={"token": older, "password": NEW_PASSWORD}
    )
    assert dead.status_code == 400
    alive = await mail_client.post(
        RESET, json={"token": newer, "password": NEW_PASSWORD}
    )
    assert alive.status_code == 200


async def test_expired_tokens_and_weak_passwords_are_refused(
    mail_client, smtp_server
) -> None:
    caller = await new_caller(mail_client)
    await mail_client.post(FORGOT, json={"email": caller.email})
    token = token_in(smtp_server.to(caller.email)[-1])

    weak = await mail_client.post(
        RESET, json={"token": token, "password": "password1234"}
    )
    assert weak.status_code == 400 and weak.json()["code"] == "WEAK_PASSWORD"
    short = await mail_client.post(RESET, json={"token": token, "password": "short"})
    assert short.status_code == 400 and short.json()["code"] == "VALIDATION_FAILED"

    await VerificationToken.update(
        {VerificationToken.expires_at: datetime.now(UTC) - timedelta(seconds=1)}
    ).where(VerificationToken.token_hash == hash_token(token))
    expired = await mail_client.post(
        RESET, json={"token": token, "password": NEW_PASSWORD}
    )
    assert expired.status_code == 400
    assert expired.json()["code"] == "INVALID_OR_EXPIRED_TOKEN"
    assert (await login(mail_client, caller.email)).status_code == 200


async def test_the_reset_link_also_verifies_the_address(
    mail_client, smtp_server
) -> None:
    caller = await new_caller(mail_client)
    await mail_client.post(FORGOT, json={"email": caller.email})
    token = token_in(smtp_server.to(caller.email)[-1])
    await mail_client.post(RESET, json={"token": token, "password": NEW_PASSWORD})
    user = await User.objects().where(User.id == uuid.UUID(caller.id)).first()
    assert user is not None and user.email_verified
