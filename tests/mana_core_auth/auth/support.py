"""Helpers for the auth API tests: accounts with unique emails, logged-in
callers, unique client addresses and the mail settings of the mail app."""

from __future__ import annotations

import ipaddress
import itertools
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "correct-horse-battery-staple-42"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Caller:
    """A registered user, logged in once."""

    id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


async def register(
    client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email or unique_email(), "password": password},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password, **extra}
    )


async def new_caller(client: httpx.AsyncClient, **login_extra: Any) -> Caller:
    user = await register(client)
    response = await login(client, user["email"], **login_extra)
    assert response.status_code == 200, response.text
    tokens = response.json()
    return Caller(
        id=user["id"],
        email=user["email"],
        password=PASSWORD,
        access_token=tokens["accessToken"],
        refresh_token=tokens["refreshToken"],
    )


def unique_ip() -> str:
    """A new address from the benchmarking range 198.18.0.0/15 on every
    call, so that each test has its own rate-limit counters. Counted, not
    drawn: among a run's hundred or so random draws from 131,072 addresses
    two tests sometimes shared one."""
    return str(
        _BENCHMARKING_RANGE[
            next(_addresses_handed_out) % _BENCHMARKING_RANGE.num_addresses
        ]
    )


_BENCHMARKING_RANGE = ipaddress.ip_network("198.18.0.0/15")
_addresses_handed_out = itertools.count(1)


LimitedClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


MAIL_SETTINGS: dict[str, Any] = {
    "smtp_host": "127.0.0.1",
    "smtp_starttls": False,
    "smtp_from": "Mana Core <no-reply@mana.example>",
    "public_urls": {"chat": "https://chat.example/app"},
    "default_public_url": "https://mana.example",
}
