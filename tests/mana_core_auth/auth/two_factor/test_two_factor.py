"""TOTP two-factor end to end: enrolment, the login challenge, codes that
cannot be replayed, single-use backup codes, limits, turning it off."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from auth_tables.tables import SecurityEvent, TwoFactorAuth
from mana_core_auth.security.two_factor_keys import TwoFactorKeys
from tests.mana_core_auth.auth.support import (
    PASSWORD,
    Caller,
    bearer,
    login,
    new_caller,
)

SETUP = "/api/v1/auth/2fa/setup"
ENABLE = "/api/v1/auth/2fa/enable"
VERIFY = "/api/v1/auth/2fa/verify"
DISABLE = "/api/v1/auth/2fa/disable"


def code(secret: str, steps_ahead: int = 0) -> str:
    """The code of the current step, or of a later one (each step's code is
    accepted once, and the next step's is within the window)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


async def enrol(client: httpx.AsyncClient, caller: Caller) -> tuple[str, list[str]]:
    """Turn two-factor on; the secret and the backup codes. The current
    step's code is used up."""
    setup = await client.post(
        SETUP, headers=caller.headers, json={"password": caller.password}
    )
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    enabled = await client.post(
        ENABLE,
        headers=caller.headers,
        json={"code": code(secret), "password": caller.password},
    )
    assert enabled.status_code == 200, enabled.text
    return secret, enabled.json()["backupCodes"]


async def challenge(client: httpx.AsyncClient, email: str, **extra: Any) -> str:
    response = await login(client, email, **extra)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["twoFactorRequired"] is True
    assert 0 < body["expiresIn"] <= 300
    assert "accessToken" not in body
    token: str = body["challengeToken"]
    return token


async def test_setup_gives_secret_uri_and_qr_code_and_leaves_2fa_off(
    client, caller
) -> None:
    response = await client.post(
        SETUP, headers=caller.headers, json={"password": caller.password}
    )
    assert response.status_code == 200
    body = response.json()
    uri = urlsplit(body["otpauthUri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert caller.email in uri.path.replace("%40", "@")
    assert parse_qs(uri.query)["secret"] == [body["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["Mana Core"]
    prefix = "data:image/png;base64,"
    assert body["qrCode"].startswith(prefix)
    assert base64.b64decode(body["qrCode"][len(prefix) :])[:8] == b"\x89PNG\r\n\x1a\n"
    # Still off: the password alone logs in.
    assert "accessToken" in (await login(client, caller.email)).json()

    stored = await TwoFactorAuth.select().where(
        TwoFactorAuth.user == uuid.UUID(caller.id)
    )
    assert stored[0]["enabled"] is False
    # Encrypted at rest, with the configured key.
    assert body["secret"] not in stored[0]["secret"]
    keys = TwoFactorKeys.from_key(os.environ["TOTP_ENCRYPTION_KEY"])
    assert keys.decrypt(stored[0]["secret"]) == body["secret"]
    wrong_code = f"{(int(code(body['secret'])) + 500_000) % 1_000_000:06d}"
    wrong = await client.post(
        ENABLE,
        headers=caller.headers,
        json={"code": wrong_code, "password": caller.password},
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "INVALID_TWO_FACTOR_CODE"


async def test_login_with_2fa_needs_a_code_that_cannot_be_replayed(
    client, caller
) -> None:
    secret, backup_codes = await enrol(client, caller)
    assert len(backup_codes) == len(set(backup_codes)) == 10
    stored = (
        await TwoFactorAuth.select()
        .where(TwoFactorAuth.user == uuid.UUID(caller.id))
        .output(load_json=True)
    )
    assert stored[0]["enabled"] is True
    assert not set(backup_codes) & set(stored[0]["backup_codes"])

    token = await challenge(client, caller.email, deviceName="phone")
    # A challenge is no access token.
    assert (
        await client.get("/api/v1/auth/me", headers=bearer(token))
    ).status_code == 401
    next_code = code(secret, steps_ahead=1)
    done = await client.post(VERIFY, json={"challengeToken": token, "code": next_code})
    assert done.status_code == 200, done.text
    tokens = done.json()
    assert set(tokens) == {
        "user",
        "accessToken",
        "refreshToken",
        "expiresIn",
        "tokenType",
        "deviceToken",
    }
    me = await client.get("/api/v1/auth/me", headers=bearer(tokens["accessToken"]))
    assert me.status_code == 200

    replay = await client.post(
        VERIFY,
        json={
            "challengeToken": await challenge(client, caller.email),
            "code": next_code,
        },
    )
    assert replay.status_code == 401
    assert replay.json()["code"] == "INVALID_TWO_FACTOR_CODE"
    # The code used at enable is spent too.
    spent = await client.post(
        VERIFY,
        json={
            "challengeToken": await challenge(client, caller.email),
            "code": code(secret),
        },
    )
    assert spent.status_code == 401

    events = (
        await SecurityEvent.select(SecurityEvent.event_type, SecurityEvent.metadata)
        .where(SecurityEvent.user == uuid.UUID(caller.id))
        .output(load_json=True)
    )
    kinds = [row["event_type"] for row in events]
    assert {"two_factor_setup", "two_factor_enabled", "two_factor_challenge"} <= set(
        kinds
    )
    assert kinds.count("two_factor_failed") == 2
    logins = [row["metadata"] for row in events if row["event_type"] == "login"]
    assert {"second_factor": "totp", "device_name": "phone"}.items() <= logins[
        -1
    ].items()
    assert secret not in json.dumps(events)


async def test_a_backup_code_works_once(client, caller) -> None:
    _, backup_codes = await enrol(client, caller)
    first = {
        "challengeToken": await challenge(client, caller.email),
        "backupCode": backup_codes[0],
    }
    assert (await client.post(VERIFY, json=first)).status_code == 200
    second = {**first, "challengeToken": await challenge(client, caller.email)}
    used = await client.post(VERIFY, json=second)
    assert used.status_code == 401
    # Typed with other case and spacing, another code still works.
    typed = backup_codes[1].upper().replace("-", " ")
    other = {
        "challengeToken": await challenge(client, caller.email),
        "backupCode": typed,
    }
    assert (await client.post(VERIFY, json=other)).status_code == 200
    stored = (
        await TwoFactorAuth.select(TwoFactorAuth.backup_codes)
        .where(TwoFactorAuth.user == uuid.UUID(caller.id))
        .output(load_json=True)
    )
    assert len(stored[0]["backup_codes"]) == 8


async def test_verify_needs_one_code_and_a_real_challenge(client, caller) -> None:
    secret, _ = await enrol(client, caller)
    token = await challenge(client, caller.email)
    both = await client.post(
        VERIFY, json={"challengeToken": token, "code": "123456", "backupCode": "x"}
    )
    assert both.status_code == 400
    neither = await client.post(VERIFY, json={"challengeToken": token})
    assert neither.status_code == 400
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = await client.post(
        VERIFY, json={"challengeToken": forged, "code": code(secret, 1)}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_TWO_FACTOR_CHALLENGE"
    # An access token is no challenge either.
    response = await client.post(
        VERIFY, json={"challengeToken": caller.access_token, "code": code(secret, 1)}
    )
    assert response.status_code == 401


async def test_wrong_codes_count_toward_the_login_limit(client, limited_client) -> None:
    caller = await new_caller(client)
    await enrol(client, caller)
    async with limited_client(rate_limit_login_failures_per_account=3) as http:
        token = await challenge(http, caller.email)
        for _ in range(3):
            wrong = await http.post(
                VERIFY, json={"challengeToken": token, "backupCode": "aaaaa-aaaaa"}
            )
            assert wrong.status_code == 401
        limited = await http.post(
            VERIFY, json={"challengeToken": token, "backupCode": "aaaaa-aaaaa"}
        )
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        # The password step is limited by the same counter.
        assert (await login(http, caller.email)).status_code == 429


async def test_disable_needs_the_password_and_a_code(client, caller) -> None:
    secret, backup_codes = await enrol(client, caller)
    again = await client.post(
        SETUP, headers=caller.headers, json={"password": caller.password}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "TWO_FACTOR_ALREADY_ENABLED"

    wrong_password = await client.post(
        DISABLE,
        headers=caller.headers,
        json={"password": "not-the-password-at-all", "code": code(secret, 1)},
    )
    assert wrong_password.status_code == 400
    assert wrong_password.json()["code"] == "INVALID_CURRENT_PASSWORD"
    wrong_code = await client.post(
        DISABLE,
        headers=caller.headers,
        json={"password": PASSWORD, "backupCode": "aaaaa-aaaaa"},
    )
    assert wrong_code.status_code == 400
    assert wrong_code.json()["code"] == "INVALID_TWO_FACTOR_CODE"
    disabled = await client.post(
        DISABLE,
        headers=caller.headers,
        json={"password": PASSWORD, "backupCode": backup_codes[0]},
    )
    assert disabled.status_code == 200, disabled.text
    assert "accessToken" in (await login(client, caller.email)).json()
    assert not await TwoFactorAuth.exists().where(
        TwoFactorAuth.user == uuid.UUID(caller.id)
    )
    off = await client.post(
        DISABLE, headers=caller.headers, json={"password": PASSWORD, "code": "123456"}
    )
    assert off.status_code == 409


async def test_one_code_used_twice_at_once_logs_in_once(client, caller) -> None:
    secret, backup_codes = await enrol(client, caller)
    for proof in ({"code": code(secret, 1)}, {"backupCode": backup_codes[0]}):
        challenges = [await challenge(client, caller.email) for _ in range(2)]
        answers = await asyncio.gather(
            *(
                client.post(VERIFY, json={"challengeToken": token, **proof})
                for token in challenges
            )
        )
        assert sorted(answer.status_code for answer in answers) == [200, 401], proof
