"""Every limit keyed by client address counts an IPv6 client by its /64: one
subscriber gets a whole /64, so 60 addresses from it are one client."""

from __future__ import annotations

import secrets

from tests.mana_core_auth.auth.support import PASSWORD, register, unique_email

WRONG = "definitely-not-the-password"


def unique_prefix() -> str:
    """A /64 of the documentation range of its own, as `2001:db8:x:y`."""
    return f"2001:db8:{secrets.randbelow(65536):x}:{secrets.randbelow(65536):x}"


def addresses(prefix: str, count: int) -> list[str]:
    return [
        f"{prefix}:{n:x}:{secrets.randbelow(65536):x}::{n + 1:x}" for n in range(count)
    ]


async def test_failed_logins_from_one_64_share_the_ip_limit(limited_client) -> None:
    prefix = unique_prefix()
    async with limited_client(rate_limit_login_failures_per_ip=50) as http:
        statuses = [
            (
                await http.post(
                    "/api/v1/auth/login",
                    json={"email": unique_email(), "password": WRONG},
                    headers={"X-Forwarded-For": address},
                )
            ).status_code
            for address in addresses(prefix, 60)
        ]
        elsewhere = await http.post(
            "/api/v1/auth/login",
            json={"email": unique_email(), "password": WRONG},
            headers={"X-Forwarded-For": f"{unique_prefix()}::1"},
        )
    print(
        f"\n60 failed logins from 60 addresses of one /64 (limit 50): "
        f"{statuses.count(401)} x 401, {statuses.count(429)} x 429"
    )
    assert statuses == [401] * 50 + [429] * 10
    assert elsewhere.status_code == 401


async def test_registrations_from_one_64_share_the_ip_limit(limited_client) -> None:
    first, second, third = addresses(unique_prefix(), 3)
    async with limited_client(rate_limit_register_per_ip=2) as http:

        async def attempt(address: str) -> int:
            response = await http.post(
                "/api/v1/auth/register",
                json={"email": unique_email(), "password": PASSWORD},
                headers={"X-Forwarded-For": address},
            )
            return response.status_code

        assert [await attempt(first), await attempt(second)] == [201, 201]
        assert await attempt(third) == 429


async def test_mail_requests_from_one_64_share_the_ip_limit(
    client, limited_client
) -> None:
    known = (await register(client))["email"]
    first, second, third = addresses(unique_prefix(), 3)
    async with limited_client(rate_limit_email_per_ip=2) as http:
        statuses = [
            (
                await http.post(
                    "/api/v1/auth/forgot-password",
                    json={"email": known},
                    headers={"X-Forwarded-For": address},
                )
            ).status_code
            for address in (first, second, third)
        ]
    assert statuses == [202, 202, 429]
