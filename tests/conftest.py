"""One database per test run, migrated once; every test makes its own rows.

With `DATABASE_URL` set, the database is created on that server; without it,
on the embedded PostgreSQL under `./.data/`. The app's settings and Piccolo
engine are imported only after the environment below is in place.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.database import create_database, drop_database, migrate, server_url


def pytest_configure(config: pytest.Config) -> None:
    from cryptography.fernet import Fernet

    from mana_core_auth.security.keys import generate_private_key, private_key_pem

    server = server_url()
    url = asyncio.run(create_database(server))
    os.environ["DATABASE_URL"] = url
    os.environ["ENVIRONMENT"] = "test"
    os.environ.setdefault("ADMIN_ALLOWED_HOSTS", "testserver")
    # The shared test app registers many users from one address; limit tests
    # build their own app with low limits.
    os.environ.setdefault("RATE_LIMIT_REGISTER_PER_IP", "1000000")
    os.environ.setdefault("RATE_LIMIT_LOGIN_FAILURES_PER_IP", "1000000")
    os.environ.setdefault(
        "JWT_PRIVATE_KEY", private_key_pem(generate_private_key("EdDSA")).decode()
    )
    os.environ.setdefault("TOTP_ENCRYPTION_KEY", Fernet.generate_key().decode())
    os.environ.setdefault("RATE_LIMIT_EMAIL_PER_IP", "1000000")
    # Cleanup tests run it when they mean to, not the app in the background.
    os.environ.setdefault("CLEANUP_INTERVAL_SECONDS", "0")
    result = migrate(url)
    if result.returncode != 0:
        raise pytest.UsageError(
            f"migrating the test database failed:\n{result.stdout}\n{result.stderr}"
        )
    config.stash[_DATABASE] = (server, url)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _DATABASE in config.stash:
        server, url = config.stash[_DATABASE]
        asyncio.run(drop_database(server, url))


_DATABASE = pytest.StashKey[tuple[str, str]]()


@pytest.fixture(scope="session")
def server_admin_url(pytestconfig: pytest.Config) -> str:
    """The test server's `postgres` database, for creating more databases."""
    return pytestconfig.stash[_DATABASE][0]


@pytest.fixture(scope="session")
def database_url(pytestconfig: pytest.Config) -> str:
    return pytestconfig.stash[_DATABASE][1]


@pytest.fixture(scope="session")
async def schema(database_url: str) -> dict[str, object]:
    """The migrated test database as PostgreSQL's catalogue describes it."""
    from tests.database import catalogue

    return await catalogue(database_url)


@pytest.fixture(scope="session")
async def app() -> AsyncIterator[Any]:
    from asgi_lifespan import LifespanManager

    from main import app as asgi_app

    async with LifespanManager(asgi_app) as manager:
        yield manager.app


@pytest.fixture(scope="session")
async def client(app: Any) -> AsyncIterator[Any]:
    import httpx

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as http:
        yield http


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """`after_suite` tests run last, whatever else was collected. Slow suites
    (container builds, soaks) run in CI (`CI=true`) or when selected with
    `-m slow`; a quick local run skips them."""
    last = [item for item in items if item.get_closest_marker("after_suite")]
    for item in last:
        items.remove(item)
    items.extend(last)
    if os.environ.get("CI") == "true" or "slow" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="slow: runs in CI, or locally with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
