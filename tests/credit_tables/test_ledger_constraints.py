"""Constraints that hold the ledger together even if code slips: one row
per balance version, free part within the amount, one refund per usage."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.database import fetch

INSERT = (
    "INSERT INTO credits.transactions (user_id, type, status, amount, free_amount,"
    " balance_before, balance_after, balance_version, refund_of)"
    " VALUES ($1, $2, 'completed', $3, $4, $5, $6, $7, $8) RETURNING id"
)


@pytest.fixture
async def user_id(database_url: str) -> AsyncIterator[uuid.UUID]:
    """A user without a balance, deleted afterwards (its hand-made rows would
    not pass `piccolo mana verify_ledger`, which runs after the suite)."""
    rows = await fetch(
        database_url,
        "INSERT INTO auth.users (email) VALUES ($1) RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    user: uuid.UUID = rows[0]["id"]
    yield user
    await fetch(database_url, "DELETE FROM auth.users WHERE id = $1", user)


async def test_two_rows_cannot_share_a_balance_version(
    database_url: str, user_id: uuid.UUID
) -> None:
    await fetch(database_url, INSERT, user_id, "bonus", 5, 5, 0, 5, 1, None)
    with pytest.raises(asyncpg.UniqueViolationError):
        await fetch(database_url, INSERT, user_id, "bonus", 5, 5, 0, 5, 1, None)


@pytest.mark.parametrize(
    ("amount", "free_amount"), [(5, 6), (5, -1), (-5, 1), (-5, -6)]
)
async def test_the_free_part_lies_within_the_amount(
    database_url: str, user_id: uuid.UUID, amount: int, free_amount: int
) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            INSERT,
            user_id,
            "adjustment",
            amount,
            free_amount,
            10,
            10 + amount,
            1,
            None,
        )


async def test_a_usage_is_refunded_at_most_once(
    database_url: str, user_id: uuid.UUID
) -> None:
    rows = await fetch(database_url, INSERT, user_id, "usage", -5, 0, 10, 5, 1, None)
    usage_id = rows[0]["id"]
    await fetch(database_url, INSERT, user_id, "refund", 5, 0, 5, 10, 2, usage_id)
    with pytest.raises(asyncpg.UniqueViolationError):
        await fetch(database_url, INSERT, user_id, "refund", 5, 0, 10, 15, 3, usage_id)
