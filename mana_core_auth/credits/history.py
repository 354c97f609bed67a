"""What a user reads back: ledger entries, purchases, usage per day, and the
packages on sale."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from piccolo.columns.combination import Combinable

from credit_tables.tables import (
    Package,
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
    user_id: uuid.UUID, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Newest first."""
    return await (
        Purchase.select(
            Purchase.id,
            Purchase.package,
            Purchase.credits,
            Purchase.price_euro_cents,
            Purchase.status,
            Purchase.created_at,
            Purchase.completed_at,
        )
        .where(Purchase.user == user_id)
        .order_by(Purchase.created_at, ascending=False)
        .limit(limit)
        .offset(offset)
    )


async def list_active_packages() -> list[dict[str, Any]]:
    return await (
        Package.select(
            Package.id,
            Package.name,
            Package.description,
            Package.credits,
            Package.price_euro_cents,
            Package.sort_order,
        )
        .where(Package.active.eq(True))
        .order_by(Package.sort_order, Package.price_euro_cents)
    )


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
