"""Operators granting or taking away credits, with a reason.

`bonus` adds free credits; `adjustment` changes paid credits and may be
negative, but never takes more than the user has.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from credit_tables.tables import (
    Balance,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from mana_core_auth.credits.accounts import ensure_balance
from mana_core_auth.credits.errors import BalanceNotFound, InsufficientCredits
from mana_core_auth.credits.ledger import (
    ENTRY_FIELDS,
    LedgerChange,
    LedgerEntry,
    NewBalance,
)
from mana_core_auth.settings import Settings

GRANT_TYPES = (TransactionType.bonus, TransactionType.adjustment)


async def grant(
    user_id: uuid.UUID,
    amount: int,
    *,
    reason: str,
    kind: TransactionType = TransactionType.adjustment,
    granted_by: str | None = None,
    now: datetime,
    settings: Settings,
) -> LedgerChange:
    """Add `amount` credits (take them away if negative) as one ledger row
    of type `kind` with `reason` as its description.

    :raises ValueError: for a zero amount, a negative bonus or another type.
    :raises InsufficientCredits: if a negative adjustment exceeds the paid
        credits.
    :raises BalanceNotFound: if there is no such user.
    """
    if kind not in GRANT_TYPES:
        raise ValueError("a grant is a bonus or an adjustment")
    if amount == 0 or (kind is TransactionType.bonus and amount < 0):
        raise ValueError("a bonus is positive, an adjustment not zero")
    if not reason.strip():
        raise ValueError("a grant needs a reason")
    await ensure_balance_exists(user_id, settings, now)
    free_amount = amount if kind is TransactionType.bonus else 0
    metadata: dict[str, Any] = {"grantedBy": granted_by} if granted_by else {}
    async with Balance._meta.db.transaction():
        locked = await (
            Balance.select()
            .where(Balance.user == user_id)
            .lock_rows()
            .first()
            .output(load_json=True)
        )
        if locked is None:
            raise BalanceNotFound()
        paid = locked["balance"] + amount - free_amount
        free = locked["free_credits_remaining"] + free_amount
        if paid < 0:
            raise InsufficientCredits()
        before = locked["balance"] + locked["free_credits_remaining"]
        version = locked["version"] + 1
        total_earned = locked["total_earned"] + amount
        await Balance.update(
            {
                Balance.balance: paid,
                Balance.free_credits_remaining: free,
                Balance.total_earned: total_earned,
                Balance.version: version,
                Balance.updated_at: now,
            }
        ).where(Balance.user == user_id)
        rows = await Transaction.insert(
            Transaction(
                user=user_id,
                type=kind,
                status=TransactionStatus.completed,
                amount=amount,
                free_amount=free_amount,
                balance_before=before,
                balance_after=before + amount,
                balance_version=version,
                description=reason.strip(),
                metadata=metadata or None,
                created_at=now,
                completed_at=now,
            )
        ).returning(*ENTRY_FIELDS)
    return LedgerChange(
        transaction=LedgerEntry.from_record(rows[0]),
        new_balance=NewBalance(
            balance=paid,
            free_credits_remaining=free,
            total_spent=locked["total_spent"],
        ),
    )


async def ensure_balance_exists(
    user_id: uuid.UUID, settings: Settings, now: datetime
) -> None:
    if not await Balance.exists().where(Balance.user == user_id):
        await ensure_balance(user_id, settings, now=now)
