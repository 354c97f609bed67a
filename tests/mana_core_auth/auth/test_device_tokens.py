"""Account lockout an attacker cannot turn against the owner (OWASP "device
cookies"): a successful login hands out a device token; a later login that
presents it for that account counts its failures against that device, not
against the account, so failures from elsewhere do not lock the owner out."""

from __future__ import annotations

import base64
import os
import time
import uuid

from mana_core_auth.security.device_tokens import issue_device_token
from mana_core_auth.security.session_keys import SessionKeys
from tests.mana_core_auth.auth.support import (
    PASSWORD,
    login,
    new_caller,
    register,
    unique_ip,
)
from tests.mana_core_auth.auth.two_factor.test_two_factor import VERIFY, code, enrol

WRONG = "definitely-not-the-password"


async def _login(http, email: str, password: str = PASSWORD, ip=None, **extra):
    return await http.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password, **extra},
        headers={"X-Forwarded-For": ip or unique_ip()},
    )


async def _device_token(http, email: str, ip: str) -> str:
    response = await _login(http, email, ip=ip)
    assert response.status_code == 200, response.text
    token: str = response.json()["deviceToken"]
    return token


async def _lock_out(http, email: str, attempts: int = 50) -> list[int]:
    """Wrong passwords from `attempts` other addresses."""
    return [(await _login(http, email, WRONG)).status_code for _ in range(attempts)]


async def test_the_login_answer_carries_a_device_token(client) -> None:
    user = await register(client)
    body = (await login(client, user["email"])).json()
    assert set(body) == {
        "user",
        "accessToken",
        "refreshToken",
        "expiresIn",
        "tokenType",
        "deviceToken",
    }
    assert len(body["deviceToken"]) >= 64
    assert user["id"].replace("-", "") not in body["deviceToken"]


async def test_failures_from_elsewhere_do_not_lock_out_a_known_device(client) -> None:
    user = await register(client)
    owner_ip = unique_ip()
    device = await _device_token(client, user["email"], owner_ip)
    statuses = await _lock_out(client, user["email"])
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    stranger = await _login(client, user["email"])
    assert stranger.status_code == 429, "unknown clients stay locked out"
    owner = await _login(client, user["email"], ip=owner_ip, deviceToken=device)
    print(
        f"\n50 failed logins from 50 other addresses: {statuses.count(401)} x 401, "
        f"{statuses.count(429)} x 429; then an unknown client with the right "
        f"password: {stranger.status_code}; the owner's known device: "
        f"{owner.status_code}"
    )
    assert owner.status_code == 200, owner.text
    assert owner.json()["user"]["id"] == user["id"]
    # From another network too: the device is what is known, not the address.
    elsewhere = await _login(client, user["email"], deviceToken=device)
    assert elsewhere.status_code == 200
    assert (await _login(client, user["email"])).status_code == 429


async def test_a_known_device_has_its_own_limit(client, limited_client) -> None:
    user = await register(client)
    async with limited_client(rate_limit_login_failures_per_device=3) as http:
        device = await _device_token(http, user["email"], unique_ip())
        for _ in range(3):
            wrong = await _login(http, user["email"], WRONG, deviceToken=device)
            assert wrong.status_code == 401
        limited = await _login(http, user["email"], deviceToken=device)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        # The device's failures did not count against the account.
        assert (await _login(http, user["email"])).status_code == 200


async def test_a_device_token_is_good_for_its_own_account_only(client) -> None:
    victim = await register(client)
    attacker = await new_caller(client)
    foreign = await _device_token(client, attacker.email, unique_ip())
    await _lock_out(client, victim["email"], attempts=11)
    with_foreign = await _login(client, victim["email"], deviceToken=foreign)
    assert with_foreign.status_code == 429


async def test_forged_expired_and_malformed_tokens_count_as_unknown(
    client, limited_client
) -> None:
    user = await register(client)
    device = await _device_token(client, user["email"], unique_ip())
    raw = bytearray(base64.urlsafe_b64decode(device + "=" * (-len(device) % 4)))
    raw[-1] ^= 1
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    keys = SessionKeys.from_key(os.environ["TOTP_ENCRYPTION_KEY"])
    async with limited_client(device_token_ttl_seconds=3600) as http:
        fresh = await _device_token(http, user["email"], unique_ip())
        stale = issue_device_token(
            keys.device_token_key,
            uuid.UUID(user["id"]),
            issued_at=int(time.time()) - 3601,
        )
        await _lock_out(http, user["email"], attempts=11)
        for token in (forged, stale, "garbage", device[:-3]):
            refused = await _login(http, user["email"], deviceToken=token)
            assert refused.status_code == 429, token
        assert (await _login(http, user["email"], deviceToken=fresh)).status_code == 200


async def test_a_known_device_gets_through_two_factor_despite_a_lockout(
    client,
) -> None:
    caller = await new_caller(client)
    secret, backup_codes = await enrol(client, caller)
    owner_ip = unique_ip()
    first = await _login(client, caller.email, ip=owner_ip)
    done = await client.post(
        VERIFY,
        json={
            "challengeToken": first.json()["challengeToken"],
            "code": code(secret, 1),
        },
        headers={"X-Forwarded-For": owner_ip},
    )
    assert done.status_code == 200, done.text
    device = done.json()["deviceToken"]

    await _lock_out(client, caller.email, attempts=11)
    assert (await _login(client, caller.email)).status_code == 429
    step = await _login(client, caller.email, ip=owner_ip, deviceToken=device)
    assert step.status_code == 200, step.text
    finished = await client.post(
        VERIFY,
        json={
            "challengeToken": step.json()["challengeToken"],
            "backupCode": "aaaaa-aaaaa",
        },
        headers={"X-Forwarded-For": owner_ip},
    )
    # A wrong code from the known device is its own failure, not a lockout.
    assert finished.status_code == 401
    again = await _login(client, caller.email, ip=owner_ip, deviceToken=device)
    logged_in = await client.post(
        VERIFY,
        json={
            "challengeToken": again.json()["challengeToken"],
            "backupCode": backup_codes[0],
        },
        headers={"X-Forwarded-For": owner_ip},
    )
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["deviceToken"]
