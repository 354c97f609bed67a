"""Keys and their hashes never reach a log line, a security event or the
admin's answers; the admin creates a service key once and revokes keys
through its forms only."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from piccolo.apps.user.tables import BaseUser

from auth_tables.tables import ApiKeyKind
from mana_core_auth.api_keys.keys import generate_key
from tests.database import fetch as fetch_on_own_connection
from tests.mana_core_auth.api_keys.support import (
    API_KEYS,
    BALANCE,
    USE,
    VALIDATE_KEY,
    events_of_key,
    hasher,
    key_row,
    personal_key,
    service_key,
    spend_body,
)
from tests.mana_core_auth.credits.support import CreditUser

FORMS = "/admin/api/forms"
TABLE = "/admin/api/tables/api_keys"


async def test_no_key_or_hash_in_logs_or_events(
    client: httpx.AsyncClient,
    user: CreditUser,
    caplog: pytest.LogCaptureFixture,
    database_url: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    validator = await service_key("auth:validate")
    spender = await service_key("credits:spend", rate_limit=1)
    key = await personal_key(client, user.headers, "credits:read")
    unknown = generate_key(ApiKeyKind.personal).key

    await client.get(BALANCE, headers=key.headers)
    await client.post(VALIDATE_KEY, json={"key": key.key}, headers=validator.headers)
    await client.post(VALIDATE_KEY, json={"key": unknown}, headers=validator.headers)
    await client.post(
        USE, json=spend_body(userId=str(user.id)), headers=spender.headers
    )
    await client.post(
        USE, json=spend_body(userId=str(user.id)), headers=spender.headers
    )
    await client.post(USE, json=spend_body(), headers=validator.headers)
    await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {unknown}"})
    await client.post(
        API_KEYS, json={"name": 5, "scopes": [key.key]}, headers=user.headers
    )
    await client.delete(f"{API_KEYS}/{key.id}", headers=user.headers)
    await client.get(BALANCE, headers=key.headers)

    secrets = {k: k for k in (validator.key, spender.key, key.key, unknown)}
    secrets |= {hasher().digest(k): k for k in list(secrets)}
    random_parts = {k[len(k) - 44 :]: k for k in (validator.key, key.key, unknown)}
    events = await fetch_on_own_connection(
        database_url, "SELECT metadata::text AS m FROM auth.security_events"
    )
    event_text = "\n".join(row["m"] or "" for row in events)
    assert caplog.records, "the requests were logged at all"
    for secret in [*secrets, *random_parts]:
        assert secret not in caplog.text
        assert secret not in event_text
    assert len(await events_of_key(key.id)) >= 3


@pytest.fixture
async def operator(app) -> AsyncIterator[httpx.AsyncClient]:
    username = f"op-{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    await BaseUser.create_user(
        username=username,
        password=password,
        email=f"{username}@example.com",
        admin=True,
        active=True,
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://testserver"
    ) as client:
        await client.get("/admin/")
        client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
        client.headers["Referer"] = "https://testserver/admin/"
        response = await client.post(
            "/admin/public/login/", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        client.headers["X-Operator"] = username
        yield client


async def test_the_admin_makes_a_service_key_and_shows_it_once(
    operator: httpx.AsyncClient, client: httpx.AsyncClient, user: CreditUser
) -> None:
    listed = await operator.get(f"{FORMS}/grouped/")
    assert {f["slug"] for f in listed.json()["grouped"]["API keys"]} == {
        "create-service-key",
        "revoke-api-key",
    }
    created = await operator.post(
        f"{FORMS}/create-service-key/",
        json={"name": "picture", "credits_spend": True, "credits_refund": True},
    )
    assert created.status_code == 200, created.text
    message = created.json()["custom_form_success"]
    key = message.rsplit(" ", 1)[-1]
    assert key.startswith("mk_svc_")
    spent = await client.post(
        USE,
        json=spend_body(userId=str(user.id)),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert spent.status_code == 201

    table = await operator.get(f"{TABLE}/", params={"app_id": "picture"})
    assert table.status_code == 200
    (row,) = [r for r in table.json()["rows"] if key.startswith(r["prefix"])]
    detail = await operator.get(f"{TABLE}/{row['id']}/")
    schema = await operator.get(f"{TABLE}/schema/")
    digest = hasher().digest(key)
    for answer in (table, detail, schema):
        assert answer.status_code == 200
        assert key not in answer.text and digest not in answer.text
    assert "key_hash" not in row and "key_hash" not in detail.json()
    stored = await key_row(row["id"])
    assert stored["created_by"] == f"admin:{operator.headers['X-Operator']}"
    assert stored["scopes"] == ["credits:spend", "credits:refund"]


async def test_the_admin_revokes_keys_by_form_and_never_edits_them(
    operator: httpx.AsyncClient, client: httpx.AsyncClient, user: CreditUser
) -> None:
    key = await personal_key(client, user.headers, "credits:read")
    for method in ("patch", "delete"):
        refused = await operator.request(
            method, f"{TABLE}/{key.id}/", json={"revoked_at": None}
        )
        assert refused.status_code == 405, method
    made = await operator.post(f"{TABLE}/", json={"name": "x", "kind": "service"})
    assert made.status_code == 405

    revoked = await operator.post(
        f"{FORMS}/revoke-api-key/", json={"key_id": str(key.id)}
    )
    again = await operator.post(
        f"{FORMS}/revoke-api-key/", json={"key_id": str(key.id)}
    )
    assert revoked.status_code == 200, revoked.text
    assert key.prefix in revoked.json()["custom_form_success"]
    assert again.status_code == 422
    assert "No such API key" in again.text
    assert (await client.get(BALANCE, headers=key.headers)).status_code == 401
    (event,) = [
        e for e in await events_of_key(key.id) if e["event_type"] == "api_key_revoked"
    ]
    assert event["metadata"]["revokedBy"] == f"admin:{operator.headers['X-Operator']}"
