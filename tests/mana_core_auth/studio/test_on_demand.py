"""The admin is built by its first request, once, however many arrive
together; the API answers before it exists."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

import mana_core_auth.admin
from mana_core_auth.settings import get_settings
from mana_core_auth.studio.on_demand import AdminOnDemand


async def test_concurrent_first_requests_build_the_admin_once(monkeypatch) -> None:
    builds: list[Any] = []
    build_admin = mana_core_auth.admin.build_admin

    def counted(settings: Any) -> Any:
        builds.append(settings)
        return build_admin(settings)

    monkeypatch.setattr(mana_core_auth.admin, "build_admin", counted)
    admin = AdminOnDemand(get_settings())
    transport = httpx.ASGITransport(app=admin, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://testserver"
    ) as client:
        answers = await asyncio.gather(*(client.get("/") for _ in range(5)))
        again = await client.get("/")
    assert [answer.status_code for answer in answers] == [200] * 5
    assert again.status_code == 200
    assert len(builds) == 1
