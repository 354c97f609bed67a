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
    ENTRY_FIELDS,
    LedgerChange,
    LedgerEntry,
    NewBalance,
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
    amount = -usage["amount"]
    free_amount = -usage["free_amount"]
    metadata: dict[str, Any] = {"refundedBy": refunded_by} if refunded_by else {}
    try:
        async with Balance._meta.db.transaction():
            locked = await (
                Balance.select().where(Balance.user == user_id).lock_rows().first()
            )
            assert locked is not None, "a usage has a balance"
            # Read after taking the lock, so a refund committed meanwhile is seen.
            if await Transaction.exists().where(
                Transaction.refund_of == transaction_id
            ):
                raise AlreadyRefunded()
            paid = locked["balance"] + amount - free_amount
            free = locked["free_credits_remaining"] + free_amount
            total_spent = locked["total_spent"] - amount
            before = locked["balance"] + locked["free_credits_remaining"]
            version = locked["version"] + 1
            await Balance.update(
                {
                    Balance.balance: paid,
                    Balance.free_credits_remaining: free,
                    Balance.total_spent: total_spent,
                    Balance.version: version,
                    Balance.updated_at: now,
                }
            ).where(Balance.user == user_id)
            rows = await Transaction.insert(
                Transaction(
                    user=user_id,
                    type=TransactionType.refund,
                    status=TransactionStatus.completed,
                    amount=amount,
                    free_amount=free_amount,
                    balance_before=before,
                    balance_after=before + amount,
                    balance_version=version,
                    app_id=usage["app_id"],
                    description=reason.strip() or "Refund",
                    metadata=metadata or None,
                    refund_of=transaction_id,
                    created_at=now,
                    completed_at=now,
                )
            ).returning(*ENTRY_FIELDS)
            await UsageStat.update(
                {UsageStat.credits_used: UsageStat.credits_used - amount}
            ).where(
                (UsageStat.user == user_id)
                & (UsageStat.app_id == usage["app_id"])
                & (UsageStat.date == utc_date(usage["created_at"]))
            )
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name != REFUND_CONSTRAINT:
            raise
        raise AlreadyRefunded() from error
    return LedgerChange(
        transaction=LedgerEntry.from_record(rows[0]),
        new_balance=NewBalance(
            balance=paid, free_credits_remaining=free, total_spent=total_spent
        ),
    )
