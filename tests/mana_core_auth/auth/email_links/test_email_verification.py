"""Email verification end to end: the link mailed at registration (read from
a real SMTP server), verifying, resending, and logins that need it."""

from __future__ import annotations

import logging
import uuid

from auth_tables.tables import OutboxMessage, SecurityEvent, User
from tests.mana_core_auth.auth.mailbox import (
    body,
    free_port,
    link_in,
    token_in,
    token_in_text,
)
from tests.mana_core_auth.auth.support import (
    MAIL_SETTINGS,
    PASSWORD,
    bearer,
    login,
    register,
    unique_email,
)

VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/auth/resend-verification"


async def _events(user_id: str) -> list[str]:
    rows = (
        await SecurityEvent.select(SecurityEvent.event_type)
        .where(SecurityEvent.user == uuid.UUID(user_id))
        .order_by(SecurityEvent.created_at)
    )
    return [row["event_type"] for row in rows]


async def test_registration_mails_a_link_that_verifies_the_email(
    mail_client, smtp_server
) -> None:
    email = unique_email()
    response = await mail_client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Ada", "appId": "chat"},
    )
    assert response.status_code == 201, response.text
    [mail] = smtp_server.to(email)
    assert mail["Subject"] == "Confirm your email address"
    assert mail["From"] == "Mana Core <no-reply@mana.example>"
    assert link_in(mail).startswith("https://chat.example/app/verify-email?token=")
    assert "Ada" not in body(mail), "no user-supplied text to an unverified address"
    assert 'href="https://chat.example/app/verify-email?token=' in body(mail, "html")

    before = (await login(mail_client, email)).json()
    me = await mail_client.get("/api/v1/auth/me", headers=bearer(before["accessToken"]))
    assert me.json()["emailVerified"] is False

    verified = await mail_client.post(VERIFY, json={"token": token_in(mail)})
    assert verified.status_code == 200, verified.text
    me = await mail_client.get("/api/v1/auth/me", headers=bearer(before["accessToken"]))
    assert me.json()["emailVerified"] is True
    after = (await login(mail_client, email)).json()
    claims = await mail_client.post(
        "/api/v1/auth/validate", json={"token": after["accessToken"]}
    )
    assert claims.json()["payload"]["emailVerified"] is True

    again = await mail_client.post(VERIFY, json={"token": token_in(mail)})
    assert again.status_code == 400
    assert again.json()["code"] == "INVALID_OR_EXPIRED_TOKEN"
    user_id = response.json()["id"]
    assert await _events(user_id) == [
        "register",
        "email_verification_sent",
        "login",
        "email_verified",
        "login",
    ]


async def test_resend_answers_the_same_for_any_address(
    mail_client, smtp_server
) -> None:
    unverified = (await register(mail_client))["email"]
    verified = (await register(mail_client))["email"]
    [first] = smtp_server.to(verified)
    await mail_client.post(VERIFY, json={"token": token_in(first)})
    unknown = unique_email("nobody")

    answers = [
        await mail_client.post(RESEND, json={"email": address})
        for address in (unverified, verified, unknown)
    ]
    assert {response.status_code for response in answers} == {202}
    assert len({response.json()["message"] for response in answers}) == 1

    assert len(smtp_server.to(unverified)) == 2
    assert len(smtp_server.to(verified)) == 1
    assert smtp_server.to(unknown) == []
    # Only the newest link works.
    older, newer = smtp_server.to(unverified)
    assert (
        await mail_client.post(VERIFY, json={"token": token_in(older)})
    ).status_code == 400
    assert (
        await mail_client.post(VERIFY, json={"token": token_in(newer)})
    ).status_code == 200


async def test_resend_is_rate_limited_for_known_and_unknown_addresses(
    client, limited_client
) -> None:
    known = (await register(client))["email"]
    async with limited_client(rate_limit_email_per_address=2) as http:
        for address in (known, unique_email("nobody")):
            for _ in range(2):
                response = await http.post(RESEND, json={"email": address})
                assert response.status_code == 202
            limited = await http.post(RESEND, json={"email": address})
            assert limited.status_code == 429
            assert int(limited.headers["Retry-After"]) > 0


async def test_unverified_users_may_log_in_unless_the_setting_says_no(
    client, limited_client
) -> None:
    user = await register(client)
    assert (await login(client, user["email"])).status_code == 200
    async with limited_client(require_verified_email=True) as strict:
        refused = await login(strict, user["email"])
        assert refused.status_code == 403
        assert refused.json()["code"] == "EMAIL_NOT_VERIFIED"
        # Whoever does not know the password learns nothing.
        wrong = await login(strict, user["email"], "not-the-password-at-all")
        assert wrong.status_code == 401
        await User.update({User.email_verified: True}).where(
            User.id == uuid.UUID(user["id"])
        )
        assert (await login(strict, user["email"])).status_code == 200


async def test_without_smtp_mail_lands_in_the_outbox_and_no_log_has_the_link(
    client, caplog
) -> None:
    email = unique_email()
    with caplog.at_level(logging.DEBUG):
        await register(client)  # someone else's mail, in the same log
        await register(client, email)
    [kept] = await OutboxMessage.select().where(OutboxMessage.recipient == email)
    assert kept["subject"] == "Confirm your email address"
    token = token_in_text(kept["text"])
    assert token in kept["html"]
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert "outbox" in logged
    assert token not in logged and email not in logged
    assert (await client.post(VERIFY, json={"token": token})).status_code == 200


async def test_a_mail_server_that_is_down_changes_no_answer(limited_client) -> None:
    down = {**MAIL_SETTINGS, "smtp_port": free_port(), "smtp_timeout_seconds": 2}
    async with limited_client(**down) as http:
        email = unique_email()
        registered = await http.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
        )
        assert registered.status_code == 201
        known = await http.post(RESEND, json={"email": email})
        unknown = await http.post(RESEND, json={"email": unique_email("nobody")})
        assert known.status_code == unknown.status_code == 202
        assert known.json()["message"] == unknown.json()["message"]
    rows = (
        await SecurityEvent.select(SecurityEvent.metadata)
        .where(
            (SecurityEvent.user == uuid.UUID(registered.json()["id"]))
            & (SecurityEvent.event_type == "email_verification_sent")
        )
        .output(load_json=True)
    )
    assert [row["metadata"]["delivered"] for row in rows] == [False, False]
