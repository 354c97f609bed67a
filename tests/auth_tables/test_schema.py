"""After `forwards all`, schema `auth` is what the original's data model lists,
checked against PostgreSQL's catalogue, not Piccolo's view of itself."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.database import fetch, missing_columns

TS = "timestamp with time zone"
VARCHAR = "character varying"

# (type, nullable) of every column of the original, under this schema's names.
EXPECTED_COLUMNS = {
    "auth.users": {
        "id": ("uuid", False),
        "email": ("text", False),
        "email_verified": ("boolean", False),
        "name": (VARCHAR, True),
        "avatar_url": ("text", True),
        "role": (VARCHAR, False),
        "created_at": (TS, False),
        "updated_at": (TS, False),
        "deleted_at": (TS, True),
    },
    "auth.sessions": {
        "id": ("uuid", False),
        "user_id": ("uuid", False),
        "refresh_token_hash": (VARCHAR, False),
        "refresh_token_expires_at": (TS, False),
        "ip_address": (VARCHAR, True),
        "user_agent": ("text", True),
        "device_id": (VARCHAR, True),
        "device_name": (VARCHAR, True),
        "last_activity_at": (TS, False),
        "created_at": (TS, False),
        "expires_at": (TS, False),
        "revoked_at": (TS, True),
    },
    "auth.accounts": {
        "id": ("uuid", False),
        "user_id": ("uuid", False),
        "provider": (VARCHAR, False),
        "provider_account_id": (VARCHAR, False),
        "access_token": ("text", True),
        "refresh_token": ("text", True),
        "expires_at": (TS, True),
        "token_type": (VARCHAR, True),
        "scope": ("text", True),
        "id_token": ("text", True),
        "metadata": ("jsonb", True),
        "created_at": (TS, False),
        "updated_at": (TS, False),
    },
    "auth.verification_tokens": {
        "id": ("uuid", False),
        "user_id": ("uuid", False),
        "token_hash": (VARCHAR, False),
        "type": (VARCHAR, False),
        "expires_at": (TS, False),
        "created_at": (TS, False),
        "used_at": (TS, True),
    },
    "auth.passwords": {
        "user_id": ("uuid", False),
        "hashed_password": ("text", False),
        "created_at": (TS, False),
        "updated_at": (TS, False),
    },
    "auth.two_factor_auth": {
        "user_id": ("uuid", False),
        "secret": ("text", False),
        "enabled": ("boolean", False),
        "backup_codes": ("jsonb", False),
        "created_at": (TS, False),
        "enabled_at": (TS, True),
    },
    "auth.security_events": {
        "id": ("uuid", False),
        "user_id": ("uuid", True),
        "event_type": (VARCHAR, False),
        "ip_address": (VARCHAR, True),
        "user_agent": ("text", True),
        "metadata": ("jsonb", True),
        "created_at": (TS, False),
    },
}

PRIMARY_KEYS = {
    "auth.users": "id",
    "auth.sessions": "id",
    "auth.accounts": "id",
    "auth.verification_tokens": "id",
    "auth.passwords": "user_id",
    "auth.two_factor_auth": "user_id",
    "auth.security_events": "id",
}

UNIQUE = {
    ("auth.users", "(email)"),
    ("auth.sessions", "(refresh_token_hash)"),
    ("auth.verification_tokens", "(token_hash)"),
    ("auth.accounts", "(provider, provider_account_id)"),
}


def test_every_column_of_the_original_exists(schema: dict) -> None:
    assert missing_columns(schema, EXPECTED_COLUMNS) == []


def test_primary_keys_and_uniques(schema: dict) -> None:
    constraints = schema["constraints"]
    primary = {(t.replace('"', ""), d) for t, _, kind, d in constraints if kind == "p"}
    for table, column in PRIMARY_KEYS.items():
        assert (table, f"PRIMARY KEY ({column})") in primary
    unique = {
        (t, d.removeprefix("UNIQUE ")) for t, _, kind, d in constraints if kind == "u"
    }
    assert unique >= UNIQUE


def test_user_foreign_keys_cascade(schema: dict) -> None:
    foreign = {t: d for t, _, kind, d in schema["constraints"] if kind == "f"}
    for table in EXPECTED_COLUMNS:
        if table == "auth.users":
            continue
        assert foreign[table] == (
            "FOREIGN KEY (user_id) REFERENCES auth.users(id) "
            "ON UPDATE CASCADE ON DELETE CASCADE"
        ), table


def test_indexes_for_lookups(schema: dict) -> None:
    indexed = {(t, name) for t, name, _ in schema["indexes"]}
    for table in ("sessions", "accounts", "verification_tokens", "security_events"):
        assert (f"auth.{table}", f"{table}_user_id") in indexed


async def test_database_refuses_values_outside_the_choices(database_url: str) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            "INSERT INTO auth.users (email, role) VALUES ($1, 'root')",
            f"{uuid.uuid4().hex}@example.com",
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            "INSERT INTO auth.users (email) VALUES ($1)",
            f"Mixed-{uuid.uuid4().hex}@Example.com",
        )


async def test_deleting_a_user_removes_their_rows(database_url: str) -> None:
    user = await fetch(
        database_url,
        "INSERT INTO auth.users (email) VALUES ($1) RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    user_id = user[0]["id"]
    await fetch(
        database_url,
        "INSERT INTO auth.passwords (user_id, hashed_password) VALUES ($1, 'x')",
        user_id,
    )
    await fetch(database_url, "DELETE FROM auth.users WHERE id = $1", user_id)
    rows = await fetch(
        database_url, "SELECT 1 FROM auth.passwords WHERE user_id = $1", user_id
    )
    assert rows == []
