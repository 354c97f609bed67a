"""Abuse limits: failed logins per account and per IP, registrations per IP.
The counters live in PostgreSQL, so two app instances (like two workers)
share them."""

from __future__ import annotations

import asyncio

from tests.mana_core_auth.auth.support import (
    PASSWORD,
    register,
    unique_email,
    unique_ip,
)

WRONG = "definitely-not-the-password"


async def _login(http, email: str, password: str, ip: str | None = None):
    headers = {"X-Forwarded-For": ip} if ip else {}
    return await http.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password},
        headers=headers,
    )


def _assert_too_many(response, window: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "TOO_MANY_REQUESTS"
    assert 1 <= int(response.headers["Retry-After"]) <= window


async def test_failed_logins_per_account_are_limited(client, limited_client) -> None:
    user = await register(client)
    other = await register(client)
    async with limited_client(
        rate_limit_login_failures_per_account=3, rate_limit_login_window_seconds=600
    ) as http:
        for _ in range(3):
            assert (await _login(http, user["email"], WRONG)).status_code == 401
        # From now on even the right password waits: guessing has stopped.
        _assert_too_many(await _login(http, user["email"], PASSWORD), 600)
        _assert_too_many(await _login(http, user["email"].upper(), WRONG), 600)
        assert (await _login(http, other["email"], PASSWORD)).status_code == 200


async def test_failed_logins_per_ip_are_limited(limited_client) -> None:
    ip = unique_ip()
    async with limited_client(
        rate_limit_login_failures_per_ip=3, rate_limit_login_window_seconds=900
    ) as http:
        for _ in range(3):
            assert (await _login(http, unique_email(), WRONG, ip)).status_code == 401
        _assert_too_many(await _login(http, unique_email(), WRONG, ip), 900)
        assert (
            await _login(http, unique_email(), WRONG, unique_ip())
        ).status_code == 401


async def test_successful_logins_do_not_count(client, limited_client) -> None:
    user = await register(client)
    async with limited_client(rate_limit_login_failures_per_account=2) as http:
        for _ in range(5):
            assert (await _login(http, user["email"], PASSWORD)).status_code == 200
        assert (await _login(http, user["email"], WRONG)).status_code == 401


async def test_the_limit_holds_under_concurrency_and_across_instances(
    client, limited_client
) -> None:
    user = await register(client)
    settings = {"rate_limit_login_failures_per_account": 5}
    async with (
        limited_client(**settings) as first,
        limited_client(**settings) as second,
    ):
        responses = await asyncio.gather(
            *(_login((first, second)[n % 2], user["email"], WRONG) for n in range(16))
        )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * 5 + [429] * 11


async def test_registrations_per_ip_are_limited(limited_client) -> None:
    ip = unique_ip()
    async with limited_client(
        rate_limit_register_per_ip=2, rate_limit_register_window_seconds=3600
    ) as http:

        async def attempt(address: str):
            return await http.post(
                "/api/v1/auth/register",
                json={"email": unique_email(), "password": PASSWORD},
                headers={"X-Forwarded-For": address},
            )

        assert [(await attempt(ip)).status_code for _ in range(2)] == [201, 201]
        _assert_too_many(await attempt(ip), 3600)
        assert (await attempt(unique_ip())).status_code == 201


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(limited_client) -> None:
    peer = unique_ip()
    async with limited_client(
        peer=peer, forwarded_allow_ips="10.0.0.1", rate_limit_login_failures_per_ip=2
    ) as http:
        # A new forged address each time does not escape the peer's limit.
        for _ in range(2):
            response = await _login(http, unique_email(), WRONG, unique_ip())
            assert response.status_code == 401
        _assert_too_many(await _login(http, unique_email(), WRONG, unique_ip()), 900)


async def test_forwarded_for_is_believed_from_a_trusted_proxy(limited_client) -> None:
    proxy = unique_ip()
    async with limited_client(
        peer=proxy, forwarded_allow_ips=proxy, rate_limit_login_failures_per_ip=2
    ) as http:
        for _ in range(3):
            response = await _login(http, unique_email(), WRONG, unique_ip())
            assert response.status_code == 401
