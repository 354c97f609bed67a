"""`auth.api_keys` as PostgreSQL sees it: the hash is unique (one indexed
lookup per request), and the database refuses keys that are neither one
kind nor the other, or hold scopes their kind may not have."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.database import fetch

INSERT = """
INSERT INTO auth.api_keys (kind, name, app_id, user_id, prefix, key_hash, scopes)
VALUES ($1, 'k', $2, $3, 'mk_svc_x', $4, $5::varchar[])
"""


def test_the_hash_is_unique_and_keys_are_found_by_user(schema: dict) -> None:
    unique = {(t, d) for t, _, kind, d in schema["constraints"] if kind == "u"}
    assert ("auth.api_keys", "UNIQUE (key_hash)") in unique
    indexed = {(t, name) for t, name, _ in schema["indexes"]}
    assert ("auth.api_keys", "api_keys_user_id") in indexed
    foreign = {(t, d) for t, _, kind, d in schema["constraints"] if kind == "f"}
    assert (
        "credits.transactions",
        "FOREIGN KEY (api_key_id) REFERENCES auth.api_keys(id) ON UPDATE CASCADE",
    ) in foreign


async def test_the_database_refuses_keys_that_break_the_rules(
    database_url: str,
) -> None:
    user = await fetch(
        database_url,
        "INSERT INTO auth.users (email) VALUES ($1) RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    user_id = user[0]["id"]
    refused = [
        ("service", None, None, ["credits:spend"]),  # no app
        ("service", "chat", user_id, ["credits:spend"]),  # and a user
        ("personal", None, user_id, ["credits:refund"]),  # a service scope
        ("service", "chat", None, ["credits:read"]),  # a personal scope
        ("service", "chat", None, []),  # no scope
        ("robot", "chat", None, ["credits:spend"]),
    ]
    for kind, app_id, owner, scopes in refused:
        with pytest.raises(asyncpg.CheckViolationError):
            await fetch(
                database_url, INSERT, kind, app_id, owner, uuid.uuid4().hex, scopes
            )
    digest = uuid.uuid4().hex
    await fetch(
        database_url, INSERT, "personal", None, user_id, digest, ["credits:read"]
    )
    with pytest.raises(asyncpg.UniqueViolationError):
        await fetch(
            database_url, INSERT, "service", "chat", None, digest, ["credits:spend"]
        )


async def test_deleting_a_user_removes_their_keys_and_the_rows_they_spent(
    database_url: str,
) -> None:
    user = await fetch(
        database_url,
        "INSERT INTO auth.users (email) VALUES ($1) RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    user_id = user[0]["id"]
    key = await fetch(
        database_url,
        INSERT + " RETURNING id",
        "personal",
        None,
        user_id,
        uuid.uuid4().hex,
        ["credits:spend"],
    )
    await fetch(
        database_url,
        """
        INSERT INTO credits.transactions (user_id, type, status, amount,
            balance_before, balance_after, api_key_id)
        VALUES ($1, 'usage', 'completed', -1, 1, 0, $2)
        """,
        user_id,
        key[0]["id"],
    )
    await fetch(database_url, "DELETE FROM auth.users WHERE id = $1", user_id)
    left = await fetch(
        database_url, "SELECT 1 FROM auth.api_keys WHERE id = $1", key[0]["id"]
    )
    assert left == []
