"""Helpers for the auth API tests: accounts with unique emails, logged-in
callers, and a second app with low abuse limits."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.mana_core_auth.auth.mailbox import Mailbox, start_smtp_server

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


@pytest.fixture
async def caller(client: httpx.AsyncClient) -> Caller:
    return await new_caller(client)


def unique_ip() -> str:
    """An address from the documentation range, so that each test has its
    own rate-limit counters."""
    value = uuid.uuid4().int
    return f"198.{18 + value % 2}.{value >> 8 & 255}.{value >> 16 & 255}"


LimitedClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def limited_client(client: httpx.AsyncClient) -> LimitedClient:
    """A client for a second app built with other settings (e.g. low rate
    limits). Its lifespan is not run: it shares the first app's pool."""

    @asynccontextmanager
    async def build(
        peer: str = "127.0.0.1", **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        from main import create_app
        from mana_core_auth.settings import Settings

        app = create_app(Settings(**overrides))
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=(peer, 40000)
        )
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as http:
            yield http

    return build


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1; tests tell their mail apart by address."""
    mailbox, controller = start_smtp_server()
    yield mailbox
    controller.stop()


MAIL_SETTINGS: dict[str, Any] = {
    "smtp_host": "127.0.0.1",
    "smtp_starttls": False,
    "smtp_from": "Mana Core <no-reply@mana.example>",
    "public_urls": {"chat": "https://chat.example/app"},
    "default_public_url": "https://mana.example",
}


@pytest.fixture(scope="session")
async def mail_client(
    client: httpx.AsyncClient, smtp_server: Mailbox
) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app that sends mail to `smtp_server`. Its lifespan
    is not run: it shares the first app's pool."""
    from main import create_app
    from mana_core_auth.settings import Settings

    app = create_app(Settings(**MAIL_SETTINGS, smtp_port=smtp_server.port))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as http:
        yield http
