"""Empty databases of their own for the migration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.database import create_database, drop_database


@pytest.fixture
async def make_empty_database(
    server_admin_url: str,
) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Create empty databases; drop them after the test."""
    urls: list[str] = []

    async def make() -> str:
        url = await create_database(server_admin_url, prefix="mana_migrate")
        urls.append(url)
        return url

    yield make
    for url in urls:
        await drop_database(server_admin_url, url)


@pytest.fixture
async def empty_database(make_empty_database: Callable[[], Awaitable[str]]) -> str:
    return await make_empty_database()
