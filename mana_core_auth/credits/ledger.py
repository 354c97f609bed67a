"""The ledger: what a change returns, the columns every statement reads
back, and the one writer of balance changes outside the spend statement.

Every change of a balance (spend, daily grant, operator grant, refund) locks
the user's balance row, writes the ledger row with the next
`balance_version`, and commits both together. Spending and the daily grant
do it in one SQL statement each (`spending`, `daily_grant`); everything else
goes through `lock_balance` and `append_entry`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import asyncpg

from credit_tables.tables import (
    Balance,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from mana_core_auth.credits.errors import InsufficientCredits

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


@dataclass(frozen=True)
class NewEntry:
    """A completed ledger row to append: `amount` changes paid + free
    credits, `free_amount` is the part of it that moves free ones."""

    type: TransactionType
    amount: int
    free_amount: int
    description: str
    app_id: str | None = None
    metadata: dict[str, Any] | None = None
    refund_of: uuid.UUID | None = None
    # Which running total the change counts in: what the user spent (usage
    # and its refunds) or, otherwise, what they earned.
    counts_as_spending: bool = False


async def lock_balance(user_id: uuid.UUID) -> dict[str, Any] | None:
    """The user's balance row, locked until the open transaction ends; None
    if the user has no balance."""
    return await Balance.select().where(Balance.user == user_id).lock_rows().first()


async def append_entry(
    user_id: uuid.UUID,
    locked: dict[str, Any],
    entry: NewEntry,
    *,
    now: datetime,
) -> LedgerChange:
    """Apply `entry` to the balance row `locked` (from `lock_balance`, in
    the same open transaction) and write its ledger row with the next
    version.

    :raises InsufficientCredits: if paid or free credits would go negative.
    """
    paid = locked["balance"] + entry.amount - entry.free_amount
    free = locked["free_credits_remaining"] + entry.free_amount
    if paid < 0 or free < 0:
        raise InsufficientCredits()
    total_earned, total_spent = locked["total_earned"], locked["total_spent"]
    if entry.counts_as_spending:
        total_spent -= entry.amount
    else:
        total_earned += entry.amount
    before = locked["balance"] + locked["free_credits_remaining"]
    version = locked["version"] + 1
    await Balance.update(
        {
            Balance.balance: paid,
            Balance.free_credits_remaining: free,
            Balance.total_earned: total_earned,
            Balance.total_spent: total_spent,
            Balance.version: version,
            Balance.updated_at: now,
        }
    ).where(Balance.user == user_id)
    rows = await Transaction.insert(
        Transaction(
            user=user_id,
            type=entry.type,
            status=TransactionStatus.completed,
            amount=entry.amount,
            free_amount=entry.free_amount,
            balance_before=before,
            balance_after=before + entry.amount,
            balance_version=version,
            app_id=entry.app_id,
            description=entry.description,
            metadata=entry.metadata,
            refund_of=entry.refund_of,
            created_at=now,
            completed_at=now,
        )
    ).returning(*ENTRY_FIELDS)
    return LedgerChange(
        transaction=LedgerEntry.from_record(rows[0]),
        new_balance=NewBalance(
            balance=paid, free_credits_remaining=free, total_spent=total_spent
        ),
    )
