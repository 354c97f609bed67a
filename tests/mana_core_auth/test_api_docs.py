"""`/api/v1/docs` loads Swagger UI from the service itself, never a CDN."""

from __future__ import annotations

import re


async def test_the_docs_page_loads_only_local_assets(client) -> None:
    page = await client.get("/api/v1/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls, page.text
    for url in urls:
        assert url.startswith("/api/v1/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    assert "'/api/v1/openapi.json'" in page.text
