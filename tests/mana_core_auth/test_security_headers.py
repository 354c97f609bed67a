"""Every answer, API and admin, tells browsers not to sniff, frame or leak
the URL; production answers also demand HTTPS (HSTS)."""

from __future__ import annotations

import pytest

from tests.mana_core_auth.studio.support import app_client

PATHS = ["/health", "/api/v1/auth/me", "/api/v1/credits/packages", "/admin/", "/nope"]


@pytest.mark.parametrize("path", PATHS)
async def test_security_headers(client, path: str) -> None:
    response = await client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in response.headers


async def test_production_answers_carry_hsts(app) -> None:
    async with app_client(environment="production") as client:
        for path in PATHS:
            response = await client.get(path)
            assert response.headers["Strict-Transport-Security"].startswith(
                "max-age="
            ), path
