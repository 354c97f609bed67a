"""Changing two-factor needs the current password, so a stolen access token
alone cannot enrol the thief's authenticator or take the backup codes; every
change mails the owner and is recorded."""

from __future__ import annotations

import uuid

import pytest

from auth_tables.tables import SecurityEvent, TwoFactorAuth
from tests.mana_core_auth.auth.mailbox import Mailbox, body
from tests.mana_core_auth.auth.support import PASSWORD, Caller, login, new_caller
from tests.mana_core_auth.auth.two_factor.test_two_factor import (
    DISABLE,
    ENABLE,
    SETUP,
    VERIFY,
    challenge,
    code,
    enrol,
)

BACKUP_CODES = "/api/v1/auth/2fa/backup-codes"
WRONG = "not-the-password-at-all"


async def _events(caller: Caller) -> list[str]:
    rows = (
        await SecurityEvent.select(SecurityEvent.event_type)
        .where(SecurityEvent.user == uuid.UUID(caller.id))
        .order_by(SecurityEvent.created_at)
    )
    return [row["event_type"] for row in rows]


@pytest.mark.parametrize("path", [SETUP, ENABLE, BACKUP_CODES, DISABLE])
async def test_anonymous_callers_are_refused(client, path) -> None:
    response = await client.post(path, json={"password": PASSWORD, "code": "123456"})
    assert response.status_code == 401


async def test_setup_needs_the_current_password(client, caller) -> None:
    missing = await client.post(SETUP, headers=caller.headers)
    assert missing.status_code == 400
    assert missing.json()["code"] == "VALIDATION_FAILED"
    wrong = await client.post(SETUP, headers=caller.headers, json={"password": WRONG})
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "INVALID_CURRENT_PASSWORD"
    assert not await TwoFactorAuth.exists().where(
        TwoFactorAuth.user == uuid.UUID(caller.id)
    )
    assert "two_factor_setup" not in await _events(caller)


async def test_enable_needs_the_current_password(client, caller) -> None:
    setup = await client.post(
        SETUP, headers=caller.headers, json={"password": PASSWORD}
    )
    secret = setup.json()["secret"]
    missing = await client.post(
        ENABLE, headers=caller.headers, json={"code": code(secret)}
    )
    assert missing.status_code == 400
    wrong = await client.post(
        ENABLE, headers=caller.headers, json={"code": code(secret), "password": WRONG}
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "INVALID_CURRENT_PASSWORD"
    assert "accessToken" in (await login(client, caller.email)).json(), "still off"
    # The code was not looked at, so it is not spent.
    right = await client.post(
        ENABLE,
        headers=caller.headers,
        json={"code": code(secret), "password": PASSWORD},
    )
    assert right.status_code == 200, right.text


async def test_wrong_passwords_count_toward_the_login_limit(
    client, limited_client
) -> None:
    caller = await new_caller(client)
    async with limited_client(rate_limit_login_failures_per_account=2) as http:
        for _ in range(2):
            wrong = await http.post(
                SETUP, headers=caller.headers, json={"password": WRONG}
            )
            assert wrong.status_code == 400
        limited = await http.post(
            SETUP, headers=caller.headers, json={"password": PASSWORD}
        )
        assert limited.status_code == 429
        assert (await login(http, caller.email)).status_code == 429


async def test_new_backup_codes_need_the_password_and_a_code(client, caller) -> None:
    secret, old_codes = await enrol(client, caller)
    wrong_password = await client.post(
        BACKUP_CODES,
        headers=caller.headers,
        json={"password": WRONG, "code": code(secret, 1)},
    )
    assert wrong_password.status_code == 400
    assert wrong_password.json()["code"] == "INVALID_CURRENT_PASSWORD"
    no_code = await client.post(
        BACKUP_CODES, headers=caller.headers, json={"password": PASSWORD}
    )
    assert no_code.status_code == 400
    wrong_code = await client.post(
        BACKUP_CODES,
        headers=caller.headers,
        json={"password": PASSWORD, "backupCode": "aaaaa-aaaaa"},
    )
    assert wrong_code.status_code == 400
    assert wrong_code.json()["code"] == "INVALID_TWO_FACTOR_CODE"

    made = await client.post(
        BACKUP_CODES,
        headers=caller.headers,
        json={"password": PASSWORD, "code": code(secret, 1)},
    )
    assert made.status_code == 200, made.text
    new_codes = made.json()["backupCodes"]
    assert len(new_codes) == len(set(new_codes)) == 10
    assert not set(new_codes) & set(old_codes)
    old = await client.post(
        VERIFY,
        json={
            "challengeToken": await challenge(client, caller.email),
            "backupCode": old_codes[1],
        },
    )
    assert old.status_code == 401, "the old codes stop working"
    new = await client.post(
        VERIFY,
        json={
            "challengeToken": await challenge(client, caller.email),
            "backupCode": new_codes[0],
        },
    )
    assert new.status_code == 200
    assert (await _events(caller)).count("backup_codes_regenerated") == 1


async def test_new_backup_codes_need_two_factor_on(client, caller) -> None:
    response = await client.post(
        BACKUP_CODES,
        headers=caller.headers,
        json={"password": PASSWORD, "code": "123456"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "TWO_FACTOR_NOT_ENABLED"


async def test_every_change_mails_the_owner_and_is_recorded(
    mail_client, smtp_server: Mailbox
) -> None:
    caller = await new_caller(mail_client)
    secret, backup_codes = await enrol(mail_client, caller)
    regenerated = await mail_client.post(
        BACKUP_CODES,
        headers=caller.headers,
        json={"password": PASSWORD, "code": code(secret, 1)},
    )
    assert regenerated.status_code == 200
    disabled = await mail_client.post(
        DISABLE,
        headers=caller.headers,
        json={"password": PASSWORD, "backupCode": regenerated.json()["backupCodes"][0]},
    )
    assert disabled.status_code == 200, disabled.text

    notices = smtp_server.to(caller.email)[1:]  # after the verification mail
    assert [mail["Subject"] for mail in notices] == [
        "Two-factor authentication is being set up on your account",
        "Two-factor authentication is on",
        "New two-factor backup codes were made",
        "Two-factor authentication is off",
    ]
    secrets = [secret, *backup_codes, *regenerated.json()["backupCodes"]]
    for mail in notices:
        text = body(mail) + body(mail, "html")
        assert "reset your password" in text
        assert not any(secret_value in text for secret_value in secrets)
        assert "token=" not in text
    assert [
        kind for kind in await _events(caller) if kind.startswith(("two_", "backup_"))
    ] == [
        "two_factor_setup",
        "two_factor_enabled",
        "backup_codes_regenerated",
        "two_factor_disabled",
    ]
