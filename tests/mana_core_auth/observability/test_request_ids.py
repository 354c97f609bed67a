"""`X-Request-ID`: a trusted proxy's id is kept, anyone else's replaced by a
new one; every answer carries it (500s too), error envelopes repeat it as
`requestId`, and every log line written for the request names it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from starlette.routing import Route

from mana_core_auth.observability.requests import request_id_for
from tests.mana_core_auth.auth.support import PASSWORD, unique_email
from tests.mana_core_auth.observability.conftest import LogLines, scrape, value

GENERATED = re.compile(r"[0-9a-f]{32}")


async def test_every_answer_gets_a_new_id(client) -> None:
    first, second = await client.get("/health"), await client.get("/health")
    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2
    assert all(GENERATED.fullmatch(request_id) for request_id in ids)


async def test_error_envelopes_repeat_the_id(client) -> None:
    for response in (
        await client.get("/api/v1/auth/me"),
        await client.post("/api/v1/auth/login", json={"email": 1}),
        await client.get("/nowhere"),
    ):
        assert response.status_code in (400, 401, 404)
        assert response.json()["requestId"] == response.headers["x-request-id"]


async def test_a_trusted_proxy_id_is_kept(client) -> None:
    # The test client's peer, 127.0.0.1, is in FORWARDED_ALLOW_IPS.
    response = await client.get("/api/v1/auth/me", headers={"X-Request-ID": "lb-42"})
    assert response.headers["x-request-id"] == "lb-42"
    assert response.json()["requestId"] == "lb-42"


async def test_an_untrusted_peer_cannot_choose_the_id(limited_client) -> None:
    async with limited_client(peer="203.0.113.9") as http:
        response = await http.get("/health", headers={"X-Request-ID": "mine"})
    assert GENERATED.fullmatch(response.headers["x-request-id"])


async def test_a_malformed_id_is_replaced(client) -> None:
    for sent in ("two words", "x" * 129, "semi;colon", 'quote"d'):
        response = await client.get("/health", headers={"X-Request-ID": sent})
        assert GENERATED.fullmatch(response.headers["x-request-id"]), sent


def _scope(client: tuple[str, int], **headers: str) -> dict[str, Any]:
    return {
        "type": "http",
        "client": client,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }


def test_a_client_address_taken_from_a_trusted_proxy_keeps_the_id() -> None:
    """Behind uvicorn's --proxy-headers the app sees the client's address
    (port 0), not the proxy's; the id still came from the trusted proxy."""
    forwarded = _scope(
        ("203.0.113.5", 0), **{"X-Request-ID": "lb-7", "X-Forwarded-For": "203.0.113.5"}
    )
    assert request_id_for(forwarded, "127.0.0.1") == "lb-7"
    direct = _scope(("203.0.113.5", 51234), **{"X-Request-ID": "lb-7"})
    assert request_id_for(direct, "127.0.0.1") != "lb-7"
    spoofed = _scope(
        ("203.0.113.5", 51234),
        **{"X-Request-ID": "lb-7", "X-Forwarded-For": "127.0.0.1"},
    )
    assert request_id_for(spoofed, "127.0.0.1") != "lb-7"
    assert request_id_for(direct, "*") == "lb-7"


async def test_an_unhandled_error_answers_500_with_the_id(app, json_log) -> None:
    from main import create_app
    from mana_core_auth.settings import Settings

    async def boom(request: Any) -> Any:
        raise RuntimeError("boom")

    broken = create_app(Settings())
    broken.router.routes.insert(0, Route("/boom", boom))
    transport = httpx.ASGITransport(app=broken, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        before = await scrape(http)
        response = await http.get("/boom")
        after = await scrape(http)
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json()["requestId"] == request_id
    assert response.json()["code"] == "INTERNAL_ERROR"
    labels = {"method": "GET", "route": "/boom", "status": "500"}
    assert value(after, "mana_http_requests_total", **labels) == (
        value(before, "mana_http_requests_total", **labels) + 1
    )
    errors = [e for e in json_log.entries if "unhandled RuntimeError" in e["message"]]
    assert errors and all(e["request_id"] == request_id for e in errors)


async def test_every_log_line_of_a_request_names_it(client, json_log: LogLines) -> None:
    """Each request mails (kept in the outbox here), after its answer."""
    email = unique_email("trace")
    registered = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
    )
    assert registered.status_code == 201
    forgot = await client.post(
        "/api/v1/auth/forgot-password",
        json={"email": email},
        headers={"X-Request-ID": f"trace-{uuid.uuid4().hex}"},
    )
    assert forgot.status_code == 202, forgot.text
    for response, kind in (
        (registered, "email_verification"),
        (forgot, "password_reset"),
    ):
        lines = [
            entry
            for entry in json_log.entries
            if entry["message"].startswith(f"{kind} mail kept in the outbox")
        ]
        assert len(lines) == 1, json_log.text
        assert lines[0]["request_id"] == response.headers["x-request-id"]
