"""A password change, logging out everywhere and a completed reset end every
unused link of the user: a reset or verification link mailed before (maybe
to someone who then read the mailbox) stops working."""

from __future__ import annotations

import uuid

from auth_tables.tables import VerificationToken
from tests.mana_core_auth.auth.mailbox import Mailbox, token_in
from tests.mana_core_auth.auth.support import PASSWORD, Caller, new_caller

FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"
VERIFY = "/api/v1/auth/verify-email"
NEW_PASSWORD = "tangerine-bicycle-orbit-77"


async def _links(mail_client, smtp_server: Mailbox, caller: Caller) -> tuple[str, str]:
    """The verification link mailed at registration and a fresh reset link."""
    [verification] = smtp_server.to(caller.email)
    await mail_client.post(FORGOT, json={"email": caller.email})
    reset = smtp_server.to(caller.email)[-1]
    assert reset["Subject"] == "Reset your password"
    return token_in(verification), token_in(reset)


async def _unused_links(caller: Caller) -> int:
    return await VerificationToken.count().where(
        (VerificationToken.user == uuid.UUID(caller.id))
        & VerificationToken.used_at.is_null()
    )


async def _assert_dead(mail_client, verification: str, reset: str) -> None:
    used_reset = await mail_client.post(
        RESET, json={"token": reset, "password": "another-long-passphrase-9"}
    )
    assert used_reset.status_code == 400
    assert used_reset.json()["code"] == "INVALID_OR_EXPIRED_TOKEN"
    used_verification = await mail_client.post(VERIFY, json={"token": verification})
    assert used_verification.status_code == 400
    assert used_verification.json()["code"] == "INVALID_OR_EXPIRED_TOKEN"


async def test_a_password_change_ends_unused_links(mail_client, smtp_server) -> None:
    caller = await new_caller(mail_client)
    verification, reset = await _links(mail_client, smtp_server, caller)
    assert await _unused_links(caller) == 2
    changed = await mail_client.post(
        "/api/v1/auth/change-password",
        headers=caller.headers,
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
    )
    assert changed.status_code == 200, changed.text
    assert await _unused_links(caller) == 0
    await _assert_dead(mail_client, verification, reset)


async def test_logging_out_everywhere_ends_unused_links(
    mail_client, smtp_server
) -> None:
    caller = await new_caller(mail_client)
    verification, reset = await _links(mail_client, smtp_server, caller)
    ended = await mail_client.post("/api/v1/auth/logout-all", headers=caller.headers)
    assert ended.status_code == 200, ended.text
    assert await _unused_links(caller) == 0
    await _assert_dead(mail_client, verification, reset)


async def test_a_completed_reset_ends_the_other_unused_links(
    mail_client, smtp_server
) -> None:
    caller = await new_caller(mail_client)
    verification, reset = await _links(mail_client, smtp_server, caller)
    done = await mail_client.post(
        RESET, json={"token": reset, "password": NEW_PASSWORD}
    )
    assert done.status_code == 200, done.text
    assert await _unused_links(caller) == 0
    await _assert_dead(mail_client, verification, reset)


async def test_a_refused_password_change_keeps_the_links(
    mail_client, smtp_server
) -> None:
    caller = await new_caller(mail_client)
    await _links(mail_client, smtp_server, caller)
    refused = await mail_client.post(
        "/api/v1/auth/change-password",
        headers=caller.headers,
        json={
            "currentPassword": "not-the-password-at-all",
            "newPassword": NEW_PASSWORD,
        },
    )
    assert refused.status_code == 400
    assert await _unused_links(caller) == 2
