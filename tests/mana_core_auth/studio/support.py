"""Admin users, logged-in admin clients and apps with other settings."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from piccolo.apps.user.tables import BaseUser

ADMIN_PASSWORD_PREFIX = "pw-"


async def make_admin_user(
    *, admin: bool = True, active: bool = True
) -> tuple[str, str]:
    username = f"op-{uuid.uuid4().hex[:8]}"
    password = f"{ADMIN_PASSWORD_PREFIX}{uuid.uuid4().hex}"
    await BaseUser.create_user(
        username=username,
        password=password,
        email=f"{username}@example.com",
        admin=admin,
        active=active,
    )
    return username, password


async def post_login(
    client: httpx.AsyncClient, username: str, password: str, **extra: Any
) -> httpx.Response:
    """One login through the admin's page API, CSRF token included."""
    if "csrftoken" not in client.cookies:
        await client.get("/admin/")
    return await client.post(
        "/admin/public/login/",
        json={"username": username, "password": password, **extra},
        headers={
            "X-CSRFToken": client.cookies["csrftoken"],
            "Referer": f"{client.base_url}/admin/",
        },
    )


def csrf_headers(client: httpx.AsyncClient) -> dict[str, str]:
    return {
        "X-CSRFToken": client.cookies["csrftoken"],
        "Referer": f"{client.base_url}/admin/",
    }


@asynccontextmanager
async def app_client(
    *, base_url: str = "https://testserver", peer: str = "127.0.0.1", **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a second app built with `settings`; its lifespan is not
    run, it shares the first app's pool (the `app` fixture must be up)."""
    from main import create_app
    from mana_core_auth.settings import Settings

    app = create_app(Settings(**settings))
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=False, client=(peer, 40000)
    )
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


@asynccontextmanager
async def admin_session(app: Any) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """An https client of the test app, logged in as a new admin."""
    username, password = await make_admin_user()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://testserver"
    ) as client:
        response = await post_login(client, username, password)
        assert response.status_code == 200, response.text
        client.headers.update(csrf_headers(client))
        yield client, username
