"""What a ledger change returns, and the columns every statement reads back.

Every change of a balance (spend, daily grant, operator grant, refund) locks
the user's balance row, writes the ledger row with the next
`balance_version`, and commits both together.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import asyncpg

from credit_tables.tables import Transaction

# The ledger columns the API shows.
ENTRY_FIELDS = (
    Transaction.id,
    Transaction.user,
    Transaction.type,
    Transaction.status,
    Transaction.amount,
    Transaction.balance_before,
    Transaction.balance_after,
    Transaction.app_id,
    Transaction.description,
    Transaction.metadata,
    Transaction.idempotency_key,
    Transaction.refund_of,
    Transaction.created_at,
    Transaction.completed_at,
)
# The same, for hand-written SELECT / RETURNING lists.
ENTRY_COLUMNS = ", ".join(field._meta.db_column_name for field in ENTRY_FIELDS)


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_day_start(now: datetime) -> datetime:
    """Midnight (UTC) of the day `now` falls on: daily grants reset then."""
    return datetime.combine(utc_date(now), time.min, tzinfo=UTC)


def utc_date(now: datetime) -> date:
    return now.astimezone(UTC).date()


@dataclass(frozen=True)
class LedgerEntry:
    id: uuid.UUID
    user_id: uuid.UUID
    type: str
    status: str
    amount: int
    balance_before: int
    balance_after: int
    app_id: str | None
    description: str | None
    metadata: dict[str, Any] | None
    idempotency_key: str | None
    refund_of: uuid.UUID | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def from_record(cls, record: asyncpg.Record | dict[str, Any]) -> LedgerEntry:
        metadata = record["metadata"]
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        return cls(
            id=record["id"],
            user_id=record["user_id"],
            type=record["type"],
            status=record["status"],
            amount=record["amount"],
            balance_before=record["balance_before"],
            balance_after=record["balance_after"],
            app_id=record["app_id"],
            description=record["description"],
            metadata=metadata,
            idempotency_key=record["idempotency_key"],
            refund_of=record["refund_of"],
            created_at=record["created_at"],
            completed_at=record["completed_at"],
        )


@dataclass(frozen=True)
class NewBalance:
    balance: int
    free_credits_remaining: int
    total_spent: int


@dataclass(frozen=True)
class LedgerChange:
    """A ledger row and the balance right after it."""

    transaction: LedgerEntry
    new_balance: NewBalance

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> LedgerChange:
        """From a ledger row with the balance after it as `new_balance`,
        `new_free` and `new_total_spent` (the spend and replay statements)."""
        return cls(
            transaction=LedgerEntry.from_record(record),
            new_balance=NewBalance(
                balance=record["new_balance"],
                free_credits_remaining=record["new_free"],
                total_spent=record["new_total_spent"],
            ),
        )


def json_or_none(value: dict[str, Any] | None) -> str | None:
    """asyncpg takes JSONB parameters as text."""
    return None if value is None else json.dumps(value)
