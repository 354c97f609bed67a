"""Request headers are bounded: past `MAX_HEADER_BYTES` in total (16 KiB by
default) the answer is 431 in the error envelope, on every path."""

from __future__ import annotations

import httpx
import pytest

PATHS = ("/health", "/api/v1/auth/me", "/admin/", "/.well-known/jwks.json")


@pytest.mark.parametrize("path", PATHS)
async def test_one_header_over_sixteen_kib_is_431(client, path) -> None:
    response = await client.get(path, headers={"X-Big": "a" * (16 * 1024)})
    assert response.status_code == 431, response.text
    body = response.json()
    assert body["statusCode"] == 431
    assert body["code"] == "REQUEST_HEADER_FIELDS_TOO_LARGE"
    assert body["path"] == path
    assert "16384" in body["message"]


async def test_many_small_headers_count_together(client) -> None:
    headers = {f"X-Part-{n}": "b" * 200 for n in range(90)}  # ~19 KiB
    response = await client.get("/health", headers=headers)
    assert response.status_code == 431


async def test_headers_under_the_limit_pass(client) -> None:
    headers = {f"X-Part-{n}": "b" * 200 for n in range(60)}  # ~13 KiB
    response = await client.get("/health", headers=headers)
    assert response.status_code == 200


async def test_the_limit_is_a_setting(client) -> None:
    from main import create_app
    from mana_core_auth.settings import Settings

    app = create_app(Settings(max_header_bytes=1024))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as http:
        refused = await http.get("/health", headers={"X-Big": "a" * 1100})
        assert refused.status_code == 431
        assert "1024" in refused.json()["message"]
        assert (
            await http.get("/health", headers={"X-Ok": "a" * 800})
        ).status_code == 200
