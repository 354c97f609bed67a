"""Admin logins: wrong passwords and codes are limited per username and per
client IP (IPv6 per /64) in PostgreSQL, with Retry-After; admins can be
required to use TOTP; logins and failures are security events."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from piccolo.apps.user.tables import BaseUser

from auth_tables.tables import SecurityEvent, SecurityEventType
from mana_core_auth.settings import get_settings
from mana_core_auth.studio.two_factor import admin_two_factor_provider, enrol_admin
from tests.mana_core_auth.auth.support import unique_ip
from tests.mana_core_auth.studio.support import app_client, make_admin_user, post_login

PER_USERNAME = get_settings().admin_login_failures_per_username
PER_IP = get_settings().admin_login_failures_per_ip


@pytest.fixture
async def http(app: Any) -> Any:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://testserver"
    ) as client:
        yield client


def from_ip(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


async def attempt(
    client: httpx.AsyncClient, username: str, password: str, ip: str, **extra: Any
) -> httpx.Response:
    await client.get("/admin/")
    return await client.post(
        "/admin/public/login/",
        json={"username": username, "password": password, **extra},
        headers={
            **from_ip(ip),
            "X-CSRFToken": client.cookies["csrftoken"],
            "Referer": f"{client.base_url}/admin/",
        },
    )


def wrong_before_429(statuses: list[int]) -> int:
    assert 429 in statuses, statuses
    before = statuses[: statuses.index(429)]
    assert set(before) == {401}, statuses
    return len(before)


async def test_wrong_passwords_from_many_ips_are_limited_per_username(http) -> None:
    username, password = await make_admin_user()
    statuses = [
        (await attempt(http, username, "wrong", unique_ip())).status_code
        for _ in range(PER_USERNAME + 2)
    ]
    assert wrong_before_429(statuses) == PER_USERNAME
    refused = await attempt(http, username, password, unique_ip())
    assert refused.status_code == 429, "the right password waits too"
    assert 0 < int(refused.headers["Retry-After"]) <= 900


async def test_wrong_passwords_from_one_ip_are_limited(http) -> None:
    ip = unique_ip()
    statuses = [
        (await attempt(http, f"nobody-{uuid.uuid4().hex[:8]}", "x", ip)).status_code
        for _ in range(PER_IP + 2)
    ]
    assert wrong_before_429(statuses) == PER_IP


async def test_one_ipv6_64_counts_as_one_client(http) -> None:
    prefix = f"2001:db8:{uuid.uuid4().int % 65536:x}:1"
    statuses = [
        (
            await attempt(http, f"nobody-{i}", "x", f"{prefix}:{i:x}:{i:x}:{i:x}:1")
        ).status_code
        for i in range(PER_IP + 2)
    ]
    assert wrong_before_429(statuses) == PER_IP


async def test_a_login_does_not_count_against_the_limit(http) -> None:
    username, password = await make_admin_user()
    for _ in range(PER_USERNAME - 1):
        assert (await attempt(http, username, "wrong", unique_ip())).status_code == 401
    assert (await attempt(http, username, password, unique_ip())).status_code == 200
    assert (await attempt(http, username, "wrong", unique_ip())).status_code == 401
    assert (await attempt(http, username, "wrong", unique_ip())).status_code == 429


async def events_with(name_or_reason: str) -> list[dict[str, Any]]:
    rows = await SecurityEvent.raw(
        "SELECT event_type, ip_address, metadata FROM auth.security_events "
        "WHERE metadata->>'admin' = {} OR metadata->>'reason' = {} "
        "ORDER BY created_at",
        name_or_reason,
        name_or_reason,
    )
    return list(rows)


async def test_logins_and_failures_are_security_events(http) -> None:
    username, password = await make_admin_user()
    ip = unique_ip()
    await attempt(http, username, "wrong", ip)
    await attempt(http, username, password, ip)
    events = await events_with(username)
    assert [(e["event_type"], e["ip_address"]) for e in events] == [
        (SecurityEventType.admin_login_failed, ip),
        (SecurityEventType.admin_login, ip),
    ]
    assert '"reason": "wrong password"' in events[0]["metadata"]
    assert "wrong" not in events[1]["metadata"], "no password is kept"

    typed = f"typed-{uuid.uuid4().hex}"
    await attempt(http, typed, "x", ip)
    assert await events_with(typed) == [], "a name that is no admin's is not kept"


def totp_of(uri: str) -> pyotp.TOTP:
    return pyotp.TOTP(parse_qs(urlsplit(uri).query)["secret"][0])


async def test_admins_must_use_two_factor_where_required(app) -> None:
    username, password = await make_admin_user()
    async with app_client(admin_require_two_factor=True) as client:
        ip = unique_ip()
        refused = await attempt(client, username, password, ip)
        assert refused.status_code == 403
        assert "admin_two_factor" in refused.json()["detail"]
        assert (await attempt(client, username, "wrong", ip)).status_code == 401

        user = await BaseUser.objects().where(BaseUser.username == username).first()
        assert user is not None
        provider = admin_two_factor_provider(get_settings())
        enrolment = await enrol_admin(user, provider)
        totp = totp_of(enrolment.otpauth_uri)

        asked = await attempt(client, username, password, ip)
        assert (asked.status_code, asked.json()) == (
            401,
            {"detail": "MFA code required"},
        )
        wrong_code = await attempt(client, username, password, ip, mfa_code="000000")
        assert wrong_code.status_code == 401
        logged_in = await attempt(client, username, password, ip, mfa_code=totp.now())
        assert logged_in.status_code == 200, logged_in.text
        assert (await client.get("/admin/api/user/")).json()["username"] == username

    reasons = [e["metadata"] for e in await events_with(username)]
    assert any("two-factor not enrolled" in r for r in reasons)
    assert any("wrong two-factor code" in r for r in reasons)
    assert any('"action": "two_factor_enrolled"' in r for r in reasons)


async def test_a_recovery_code_works_once(app) -> None:
    username, password = await make_admin_user()
    user = await BaseUser.objects().where(BaseUser.username == username).first()
    assert user is not None
    enrolment = await enrol_admin(user, admin_two_factor_provider(get_settings()))
    code = enrolment.recovery_codes[0]
    async with app_client(admin_require_two_factor=True) as client:
        first = await attempt(client, username, password, unique_ip(), mfa_code=code)
        assert first.status_code == 200, first.text
        client.cookies.clear()
        again = await attempt(client, username, password, unique_ip(), mfa_code=code)
        assert again.status_code == 401


async def test_another_host_gets_400(app) -> None:
    async with app_client(
        admin_allowed_hosts=["admin.example"], base_url="https://evil.example"
    ) as client:
        assert (await client.get("/admin/")).status_code == 400
        assert (await client.get("/admin/api/tables/")).status_code == 400
        assert (await client.get("/health")).status_code == 200
    async with app_client(
        admin_allowed_hosts=["admin.example"], base_url="https://admin.example:8443"
    ) as client:
        assert (await client.get("/admin/")).status_code == 200


async def test_the_test_app_refuses_other_hosts(http) -> None:
    response = await http.get("/admin/", headers={"Host": "evil.example"})
    assert response.status_code == 400


async def test_a_changed_password_is_a_security_event(http) -> None:
    username, password = await make_admin_user()
    assert (await post_login(http, username, password)).status_code == 200
    new_password = f"pw-{uuid.uuid4().hex}"
    changed = await http.post(
        "/admin/api/change-password/",
        json={
            "current_password": password,
            "new_password": new_password,
            "confirm_new_password": new_password,
        },
        headers={
            "X-CSRFToken": http.cookies["csrftoken"],
            "Referer": f"{http.base_url}/admin/",
        },
    )
    assert changed.status_code == 303, changed.text
    assert any(
        '"action": "change_password"' in e["metadata"]
        for e in await events_with(username)
    )
