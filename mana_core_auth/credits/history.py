"""What a user reads back: their balance, ledger entries, purchases and usage
per day."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from piccolo.columns.combination import Combinable

from credit_tables.tables import (
    Balance,
    Purchase,
    Transaction,
    TransactionType,
    UsageStat,
)
from mana_core_auth.credits.ledger import ENTRY_FIELDS, LedgerEntry


async def list_transactions(
    user_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
    app_id: str | None = None,
    kind: TransactionType | None = None,
) -> list[LedgerEntry]:
    """Newest first; a spend's daily grant is listed just before it."""
    where: Combinable = Transaction.user == user_id
    if app_id is not None:
        where &= Transaction.app_id == app_id
    if kind is not None:
        where &= Transaction.type == kind
    rows = await (
        Transaction.select(*ENTRY_FIELDS)
        .where(where)
        .order_by(Transaction.created_at, Transaction.balance_version, ascending=False)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    return [LedgerEntry.from_record(row) for row in rows]


async def list_purchases(
    user_id: uuid.UUID,
    *,
    limit: int | None,
    offset: int = 0,
    newest_first: bool = True,
) -> list[dict[str, Any]]:
    """The user's purchases; all of them when `limit` is None."""
    query = (
        Purchase.select(
            Purchase.id,
            Purchase.package.as_alias("package_id"),
            Purchase.credits,
            Purchase.price_euro_cents,
            Purchase.status,
            Purchase.refunded_credits,
            Purchase.created_at,
            Purchase.completed_at,
        )
        .where(Purchase.user == user_id)
        .order_by(Purchase.created_at, ascending=not newest_first)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return await query


async def balance_totals(user_id: uuid.UUID) -> dict[str, Any] | None:
    """The balance as stored (no daily grant); None if the user has none."""
    return (
        await Balance.select(
            Balance.balance,
            Balance.free_credits_remaining,
            Balance.total_earned,
            Balance.total_spent,
            Balance.daily_free_credits,
        )
        .where(Balance.user == user_id)
        .first()
    )


async def whole_ledger(user_id: uuid.UUID) -> list[LedgerEntry]:
    """Every ledger entry of the user, oldest first."""
    rows = await (
        Transaction.select(*ENTRY_FIELDS)
        .where(Transaction.user == user_id)
        .order_by(Transaction.balance_version, Transaction.created_at)
        .output(load_json=True)
    )
    return [LedgerEntry.from_record(row) for row in rows]


async def usage_per_day(
    user_id: uuid.UUID, *, first_day: date, last_day: date, app_id: str | None
) -> list[dict[str, Any]]:
    """Credits used per app and UTC day, newest day first."""
    where: Combinable = (
        (UsageStat.user == user_id)
        & (UsageStat.date >= first_day)
        & (UsageStat.date <= last_day)
    )
    if app_id is not None:
        where &= UsageStat.app_id == app_id
    rows = await (
        UsageStat.select(UsageStat.app_id, UsageStat.date, UsageStat.credits_used)
        .where(where)
        .order_by(UsageStat.date, ascending=False)
        .order_by(UsageStat.app_id)
    )
    return rows
