"""Helpers of the API-key tests: service keys made as an operator makes
them, personal keys made through the API, and reading what was recorded."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from auth_tables.tables import ApiKey, SecurityEventType
from credit_tables.tables import Transaction
from mana_core_auth.api_keys.keys import KeyHasher, load_key_hasher
from mana_core_auth.api_keys.service import create_service_key
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.sql import fetch
from tests.mana_core_auth.credits.support import main_app

API_KEYS = "/api/v1/api-keys"
VALIDATE_KEY = "/api/v1/api-keys/validate"
VALIDATE_TOKEN = "/api/v1/auth/validate"
USE = "/api/v1/credits/use"
BALANCE = "/api/v1/credits/balance"


@dataclass(frozen=True)
class Key:
    id: uuid.UUID
    key: str
    prefix: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def hasher() -> KeyHasher:
    return load_key_hasher(main_app().state.settings)


async def service_key(
    *scopes: str,
    app_id: str = "chat",
    rate_limit: int | None = None,
    expires_at: datetime | None = None,
) -> Key:
    created = await create_service_key(
        hasher(),
        name=app_id,
        app_id=app_id,
        scopes=list(scopes),
        now=utc_now(),
        rate_limit_requests=rate_limit,
        expires_at=expires_at,
        created_by="tests",
    )
    return Key(created.row["id"], created.key.key, created.row["prefix"])


async def personal_key(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *scopes: str,
    name: str = "my script",
) -> Key:
    response = await client.post(
        API_KEYS,
        json={"name": name, "scopes": list(scopes or ("credits:read",))},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Key(uuid.UUID(body["id"]), body["key"], body["prefix"])


def spend_body(amount: int = 1, **extra: Any) -> dict[str, Any]:
    return {"amount": amount, "appId": "chat", "description": "reply", **extra}


async def events_of_key(key_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await fetch(
        "SELECT event_type, user_id, metadata FROM auth.security_events"
        " WHERE metadata->>'keyId' = $1 ORDER BY created_at",
        str(key_id),
    )
    return [{**row, "metadata": json.loads(row["metadata"])} for row in rows]


async def event_types(key_id: uuid.UUID) -> list[str]:
    return [row["event_type"] for row in await events_of_key(key_id)]


async def rejection_reasons(key_id: uuid.UUID) -> list[str]:
    return [
        row["metadata"]["reason"]
        for row in await events_of_key(key_id)
        if row["event_type"] == SecurityEventType.api_key_rejected.value
    ]


async def key_row(key_id: uuid.UUID) -> dict[str, Any]:
    row = await ApiKey.select().where(ApiKey.id == key_id).first()
    assert row is not None
    return row


async def ledger_row(transaction_id: str) -> dict[str, Any]:
    row = (
        await Transaction.select()
        .where(Transaction.id == uuid.UUID(transaction_id))
        .output(load_json=True)
        .first()
    )
    assert row is not None
    return row
