"""Malformed requests to the key routes, and malformed keys, are answered
with a 4xx in the error envelope, never a 500."""

from __future__ import annotations

import httpx

from tests.mana_core_auth.api_keys.support import (
    API_KEYS,
    BALANCE,
    USE,
    VALIDATE_KEY,
    service_key,
    spend_body,
)
from tests.mana_core_auth.credits.support import CreditUser

ENVELOPE = {"statusCode", "code", "message", "timestamp", "path"}


def assert_client_error(response: httpx.Response, case: object) -> None:
    assert 400 <= response.status_code < 500, (
        case,
        response.status_code,
        response.text,
    )
    assert set(response.json()) >= ENVELOPE, case


async def test_bad_bodies_for_making_a_key(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    bodies: list[object] = [
        {},
        {"name": "k"},
        {"name": 5, "scopes": ["credits:read"]},
        {"name": "", "scopes": ["credits:read"]},
        {"name": "x" * 101, "scopes": ["credits:read"]},
        {"name": "a\x00b", "scopes": ["credits:read"]},
        {"name": "k", "scopes": "credits:read"},
        {"name": "k", "scopes": [None]},
        {"name": "k", "scopes": ["credits:read"] * 50},
        {"name": "k", "scopes": ["credits:read"], "expiresAt": "tomorrow"},
        {"name": "k", "scopes": ["credits:read"], "expiresAt": 10**20},
        {
            "name": "k",
            "scopes": ["credits:read"],
            "expiresAt": "0001-01-01T00:00:00+14:00",
        },
        {
            "name": "k",
            "scopes": ["credits:read"],
            "expiresAt": "9999-12-31T23:59:59-14:00",
        },
        {"name": "k", "scopes": ["credits:read"], "userId": str(user.id)},
        [],
        "key",
    ]
    for body in bodies:
        response = await client.post(API_KEYS, json=body, headers=user.headers)
        assert_client_error(response, body)
    for raw, content_type in ((b"{", "application/json"), (b"name=k", "text/plain")):
        response = await client.post(
            API_KEYS,
            content=raw,
            headers={**user.headers, "Content-Type": content_type},
        )
        assert_client_error(response, raw)
    for key_id in ("not-a-uuid", "1", "%00"):
        response = await client.delete(f"{API_KEYS}/{key_id}", headers=user.headers)
        assert_client_error(response, key_id)


async def test_bad_bodies_for_validating_a_key(client: httpx.AsyncClient) -> None:
    validator = await service_key("auth:validate")
    bodies: list[object] = [
        {},
        {"key": 5},
        {"key": ""},
        {"key": "mk_live_" + "a" * 600},
        {"key": "mk_live_abc", "scope": "everything"},
        {"key": "mk_live_abc", "extra": 1},
    ]
    for body in bodies:
        response = await client.post(VALIDATE_KEY, json=body, headers=validator.headers)
        assert_client_error(response, body)
    # Not a key, but a well-formed question: an answer, not an error.
    surrogate = await client.post(  # JSON allows a lone surrogate; text does not
        VALIDATE_KEY,
        content=('{"key": "mk_live_\\ud800' + "a" * 51 + '"}').encode(),
        headers={**validator.headers, "Content-Type": "application/json"},
    )
    assert_client_error(surrogate, "lone surrogate")
    for text in (
        '"mk_live_\\u0000"',
        '"ключ"',
        '"mk_svc_"',
    ):
        response = await client.post(
            VALIDATE_KEY,
            content=f'{{"key": {text}}}'.encode(),
            headers={**validator.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 200, (text, response.text)
        assert response.json()["valid"] is False


async def test_bad_keys_and_user_ids_when_spending(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    spender = await service_key("credits:spend")
    for user_id in ("not-a-uuid", 5, "", None, [str(user.id)]):
        response = await client.post(
            USE, json=spend_body(userId=user_id), headers=spender.headers
        )
        assert_client_error(response, user_id)
    for header in (
        "Bearer mk_svc_",
        "Bearer mk_svc_" + "é" * 52,
        "Bearer mk_live_" + "a" * 5000,
        "Basic mk_svc_abc",
        "Bearer  mk_svc_abc",
    ):
        response = await client.get(
            BALANCE, headers={b"Authorization": header.encode()}
        )
        assert_client_error(response, header)
