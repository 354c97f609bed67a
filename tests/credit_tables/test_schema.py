"""After `forwards all`, schema `credits` is what the original's data model
lists (catalogue, not Piccolo's view), and its checks refuse what must never
happen."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.database import fetch, missing_columns

TS = "timestamp with time zone"
VARCHAR = "character varying"

EXPECTED_COLUMNS = {
    "credits.balances": {
        "user_id": ("uuid", False),
        "balance": ("integer", False),
        "free_credits_remaining": ("integer", False),
        "daily_free_credits": ("integer", False),
        "last_daily_reset_at": (TS, True),
        "total_earned": ("integer", False),
        "total_spent": ("integer", False),
        "version": ("integer", False),
        "created_at": (TS, False),
        "updated_at": (TS, False),
    },
    "credits.transactions": {
        "id": ("uuid", False),
        "user_id": ("uuid", False),
        "type": (VARCHAR, False),
        "status": (VARCHAR, False),
        "amount": ("integer", False),
        "balance_before": ("integer", False),
        "balance_after": ("integer", False),
        "app_id": (VARCHAR, True),
        "description": ("text", True),
        "metadata": ("jsonb", True),
        "idempotency_key": (VARCHAR, True),
        "created_at": (TS, False),
        "completed_at": (TS, True),
    },
    "credits.packages": {
        "id": ("uuid", False),
        "name": (VARCHAR, False),
        "description": ("text", True),
        "credits": ("integer", False),
        "price_euro_cents": ("integer", False),
        "stripe_price_id": (VARCHAR, True),
        "active": ("boolean", False),
        "sort_order": ("integer", False),
        "metadata": ("jsonb", True),
        "created_at": (TS, False),
        "updated_at": (TS, False),
    },
    "credits.purchases": {
        "id": ("uuid", False),
        "user_id": ("uuid", False),
        "package_id": ("uuid", True),
        "credits": ("integer", False),
        "price_euro_cents": ("integer", False),
        "stripe_payment_intent_id": (VARCHAR, True),
        "stripe_customer_id": (VARCHAR, True),
        "status": (VARCHAR, False),
        "metadata": ("jsonb", True),
        "created_at": (TS, False),
        "completed_at": (TS, True),
    },
    "credits.usage_stats": {
        "id": ("uuid", False),
        "user_id": ("uuid", False),
        "app_id": (VARCHAR, False),
        "credits_used": ("integer", False),
        "date": ("date", False),
        "metadata": ("jsonb", True),
    },
}

# The original's indexes, compound ones included (written by hand: Piccolo
# does not generate them).
EXPECTED_INDEXES = {
    ("credits.transactions", "(user_id)"),
    ("credits.transactions", "(app_id)"),
    ("credits.transactions", "(created_at)"),
    ("credits.purchases", "(user_id)"),
    ("credits.purchases", "(stripe_payment_intent_id)"),
    ("credits.usage_stats", "(user_id, date)"),
    ("credits.usage_stats", "(app_id, date)"),
}


def test_every_column_of_the_original_exists(schema: dict) -> None:
    assert missing_columns(schema, EXPECTED_COLUMNS) == []


def test_defaults_of_the_original(schema: dict) -> None:
    defaults = {(t, c): d for t, c, _, _, d in schema["columns"]}
    assert defaults[("credits.balances", "balance")] == "0"
    assert defaults[("credits.balances", "free_credits_remaining")] == "150"
    assert defaults[("credits.balances", "daily_free_credits")] == "5"
    assert defaults[("credits.transactions", "status")].startswith("'pending'")


def test_indexes_of_the_original(schema: dict) -> None:
    indexed = {
        (table, definition[definition.rindex(" (") + 1 :])
        for table, _, definition in schema["indexes"]
    }
    assert indexed >= EXPECTED_INDEXES


def test_foreign_keys(schema: dict) -> None:
    foreign = {(t, d) for t, _, kind, d in schema["constraints"] if kind == "f"}
    cascade = "REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE"
    for table in EXPECTED_COLUMNS:
        if table != "credits.packages":
            assert (table, f"FOREIGN KEY (user_id) {cascade}") in foreign
    assert (
        "credits.purchases",
        "FOREIGN KEY (package_id) REFERENCES credits.packages(id) "
        "ON UPDATE CASCADE ON DELETE SET NULL",
    ) in foreign


@pytest.fixture
async def user_id(database_url: str) -> AsyncIterator[uuid.UUID]:
    """A user, deleted afterwards: the rows these tests write would not
    pass `piccolo mana verify_ledger`, which runs after the suite."""
    rows = await fetch(
        database_url,
        "INSERT INTO auth.users (email) VALUES ($1) RETURNING id",
        f"{uuid.uuid4().hex}@example.com",
    )
    yield rows[0]["id"]
    await fetch(database_url, "DELETE FROM auth.users WHERE id = $1", rows[0]["id"])


@pytest.mark.parametrize(
    "column", ["balance", "free_credits_remaining", "daily_free_credits"]
)
async def test_balances_cannot_go_negative(
    database_url: str, user_id: uuid.UUID, column: str
) -> None:
    await fetch(
        database_url, "INSERT INTO credits.balances (user_id) VALUES ($1)", user_id
    )
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            f"UPDATE credits.balances SET {column} = -1 WHERE user_id = $1",
            user_id,
        )


async def test_ledger_refuses_unknown_types_and_negative_balances(
    database_url: str, user_id: uuid.UUID
) -> None:
    insert = (
        "INSERT INTO credits.transactions (user_id, type, status, amount, "
        "balance_before, balance_after) VALUES ($1, $2, 'completed', $3, $4, $5)"
    )
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(database_url, insert, user_id, "gift", 5, 0, 5)
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(database_url, insert, user_id, "usage", -5, 0, -5)


@pytest.mark.parametrize(
    ("credits", "price"), [(0, 100), (-5, 100), (100, 0), (100, -1)]
)
async def test_packages_need_positive_credits_and_price(
    database_url: str, credits: int, price: int
) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            "INSERT INTO credits.packages (name, credits, price_euro_cents) "
            "VALUES ('x', $1, $2)",
            credits,
            price,
        )
