"""Validate and balance answered beside FastAPI (`hot_routes.py`): for every
kind of request the answer is the one the FastAPI route gives, byte for
byte; the common shape never reaches FastAPI, every other one does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from mana_core_auth.errors import EXCEPTION_HANDLERS
from mana_core_auth.hot_routes import HotRoutes
from tests.mana_core_auth.api_keys.support import personal_key, service_key
from tests.mana_core_auth.auth.support import Caller, bearer, new_caller
from tests.mana_core_auth.credits.support import main_api

VALIDATE = "/api/v1/auth/validate"
BALANCE = "/api/v1/credits/balance"
# Differ between any two answers, by design.
PER_ANSWER = ("timestamp", "requestId")


@pytest.fixture(scope="module")
async def fastapi_only() -> AsyncIterator[httpx.AsyncClient]:
    """The same FastAPI app, mounted without the hot routes in front."""
    plain = Starlette(
        routes=[Mount("/api/v1", main_api())], exception_handlers=EXCEPTION_HANDLERS
    )
    transport = httpx.ASGITransport(app=plain, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as http:
        yield http


@pytest.fixture
async def caller(client: httpx.AsyncClient) -> Caller:
    return await new_caller(client)


@pytest.fixture
def handed_on(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths the hot routes handed on to FastAPI."""
    paths: list[str] = []
    real = HotRoutes._to_api

    async def counting(self: HotRoutes, scope: Any, receive: Any, send: Any) -> None:
        paths.append(scope["path"])
        await real(self, scope, receive, send)

    monkeypatch.setattr(HotRoutes, "_to_api", counting)
    return paths


def comparable(response: httpx.Response) -> tuple[int, str | None, Any]:
    content_type = response.headers.get("content-type")
    if response.status_code >= 400 and response.content:
        body = {k: v for k, v in response.json().items() if k not in PER_ANSWER}
        return response.status_code, content_type, body
    return response.status_code, content_type, response.content


async def both(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    method: str,
    path: str,
    **request: Any,
) -> tuple[tuple[int, str | None, Any], tuple[int, str | None, Any]]:
    hot = await client.request(method, path, **request)
    plain = await fastapi_only.request(method, path, **request)
    return comparable(hot), comparable(plain)


async def ended_session(client: httpx.AsyncClient) -> Caller:
    caller = await new_caller(client)
    await client.post("/api/v1/auth/logout", headers=caller.headers)
    return caller


async def test_validate_answers_the_common_shape_itself_as_fastapi_would(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
) -> None:
    ended = await ended_session(client)
    for token in (
        caller.access_token,
        ended.access_token,
        caller.access_token[:-4] + "AAAA",
        "not-a-token",
        caller.refresh_token,
    ):
        hot, plain = await both(
            client, fastapi_only, "POST", VALIDATE, json={"token": token}
        )
        assert hot == plain
    # The request carried a user's token in the header too: ignored, as ever.
    hot, plain = await both(
        client,
        fastapi_only,
        "POST",
        VALIDATE,
        json={"token": caller.access_token},
        headers=bearer(ended.access_token),
    )
    assert hot == plain
    assert handed_on == []


@pytest.mark.parametrize(
    "request_",
    [
        {"content": b"{"},
        {"content": b"[]"},
        {"content": b'"token"'},
        {"json": {}},
        {"json": {"token": ""}},
        {"json": {"token": 42}},
        {"json": {"token": None}},
        {"json": {"token": "x" * 8193}},
        {"json": {"token": "a\u0000b"}},
        {"json": {"token": "x", "extra": 1}},
        {"content": b'{"token": "x"}', "headers": {"content-type": "text/plain"}},
        {"content": b'{"token": "x"}', "headers": {"content-type": ""}},
        {"json": {"token": "x"}, "headers": bearer("mk_svc_notakey")},
    ],
)
async def test_validate_hands_every_other_shape_to_fastapi(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    handed_on: list[str],
    request_: dict[str, Any],
) -> None:
    hot, plain = await both(client, fastapi_only, "POST", VALIDATE, **request_)
    assert hot == plain
    assert handed_on == [VALIDATE]


async def test_validate_with_a_service_key_goes_through_its_scope_check(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
) -> None:
    allowed = await service_key("auth:validate")
    refused = await service_key("credits:spend")
    for key in (allowed, refused):
        hot, plain = await both(
            client,
            fastapi_only,
            "POST",
            VALIDATE,
            json={"token": caller.access_token},
            headers=key.headers,
        )
        assert hot == plain
    assert hot[0] == 403
    assert len(handed_on) == 2


async def test_balance_answers_a_live_session_itself_as_fastapi_would(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
) -> None:
    hot, plain = await both(
        client, fastapi_only, "GET", BALANCE, headers=caller.headers
    )
    assert hot == plain
    assert hot[0] == 200
    assert handed_on == []


async def test_balance_hands_every_other_caller_to_fastapi(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
) -> None:
    ended = await ended_session(client)
    reader = await personal_key(client, caller.headers, "credits:read")
    cases: list[tuple[str, dict[str, Any]]] = [
        ("GET", {}),
        ("GET", {"headers": bearer(ended.access_token)}),
        ("GET", {"headers": bearer("not-a-token")}),
        ("GET", {"headers": {"Authorization": "Basic dXNlcjpwYXNz"}}),
        ("GET", {"headers": reader.headers}),
        ("GET", {"headers": caller.headers, "params": {"unused": "1"}}),
        ("HEAD", {"headers": caller.headers}),
        ("POST", {"headers": caller.headers}),
    ]
    for method, request in cases:
        hot, plain = await both(client, fastapi_only, method, BALANCE, **request)
        assert hot == plain, (method, request)
    assert len(handed_on) == len(cases) - 1  # POST matches no hot route
