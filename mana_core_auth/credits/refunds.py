"""Refunding a usage: once, by id, as a `refund` row linked to it that
gives back exactly the free and paid credits the usage took."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from credit_tables.tables import (
    Balance,
    Transaction,
    TransactionStatus,
    TransactionType,
    UsageStat,
)
from mana_core_auth.credits.errors import (
    AlreadyRefunded,
    NotRefundable,
    TransactionNotFound,
)
from mana_core_auth.credits.ledger import (
    LedgerChange,
    NewEntry,
    append_entry,
    lock_balance,
    utc_date,
)

REFUND_CONSTRAINT = "transactions_refund_of_key"


async def refund(
    transaction_id: uuid.UUID,
    *,
    reason: str,
    refunded_by: str | None = None,
    now: datetime,
) -> LedgerChange:
    """Give back the credits of a completed usage and take them off that
    day's usage count.

    :raises TransactionNotFound: if there is no such transaction.
    :raises NotRefundable: unless it is a completed usage.
    :raises AlreadyRefunded: if it was refunded before.
    """
    usage = (
        await Transaction.select(
            Transaction.user,
            Transaction.type,
            Transaction.status,
            Transaction.amount,
            Transaction.free_amount,
            Transaction.app_id,
            Transaction.created_at,
        )
        .where(Transaction.id == transaction_id)
        .first()
    )
    if usage is None:
        raise TransactionNotFound()
    if (usage["type"], usage["status"]) != (
        TransactionType.usage.value,
        TransactionStatus.completed.value,
    ):
        raise NotRefundable()
    user_id = usage["user_id"]
    metadata: dict[str, Any] = {"refundedBy": refunded_by} if refunded_by else {}
    entry = NewEntry(
        type=TransactionType.refund,
        amount=-usage["amount"],
        free_amount=-usage["free_amount"],
        description=reason.strip() or "Refund",
        app_id=usage["app_id"],
        metadata=metadata or None,
        refund_of=transaction_id,
        counts_as_spending=True,
    )
    try:
        async with Balance._meta.db.transaction():
            locked = await lock_balance(user_id)
            assert locked is not None, "a usage has a balance"
            # Read after taking the lock, so a refund committed meanwhile is seen.
            if await Transaction.exists().where(
                Transaction.refund_of == transaction_id
            ):
                raise AlreadyRefunded()
            change = await append_entry(user_id, locked, entry, now=now)
            await UsageStat.update(
                {UsageStat.credits_used: UsageStat.credits_used - entry.amount}
            ).where(
                (UsageStat.user == user_id)
                & (UsageStat.app_id == usage["app_id"])
                & (UsageStat.date == utc_date(usage["created_at"]))
            )
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name != REFUND_CONSTRAINT:
            raise
        raise AlreadyRefunded() from error
    return change
