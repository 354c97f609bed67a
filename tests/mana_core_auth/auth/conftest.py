"""Fixtures of the auth API tests: a logged-in caller, a second app with other
settings (e.g. low abuse limits), and an app that sends mail to a local SMTP
server. Plain helpers are in `support.py`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.mana_core_auth.auth.mailbox import Mailbox, start_smtp_server
from tests.mana_core_auth.auth.support import (
    MAIL_SETTINGS,
    Caller,
    LimitedClient,
    new_caller,
)


@pytest.fixture
async def caller(client: httpx.AsyncClient) -> Caller:
    return await new_caller(client)


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
