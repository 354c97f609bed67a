"""Fixtures of the API-key tests: users with credits, and apps built with
other settings (low key limits) sharing the first app's pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.mana_core_auth.credits.support import CreditUser, create_user

OtherApp = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
async def user(app: Any) -> CreditUser:
    """A user with the signup bonus (150 free credits) and a session."""
    return await create_user()


@pytest.fixture
async def other_user(app: Any) -> CreditUser:
    return await create_user()


@pytest.fixture
def other_app(app: Any) -> OtherApp:
    """A client of another instance of the app, with `overrides` to its
    settings: as another worker or replica, it shares only the database."""

    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        from main import create_app
        from mana_core_auth.settings import Settings

        transport = httpx.ASGITransport(
            app=create_app(Settings(**overrides)), raise_app_exceptions=False
        )
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as http:
            yield http

    return build
