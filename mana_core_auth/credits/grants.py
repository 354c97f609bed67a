"""Operators granting or taking away credits, with a reason.

`bonus` adds free credits; `adjustment` changes paid credits and may be
negative, but never takes more than the user has.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from auth_tables.tables import User
from credit_tables.tables import Balance, TransactionType
from mana_core_auth.credits.balances import ensure_balance
from mana_core_auth.credits.errors import BalanceNotFound, UserNotFound
from mana_core_auth.credits.ledger import (
    LedgerChange,
    NewEntry,
    append_entry,
    lock_balance,
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
    await ensure_balance(user_id, settings, now=now)
    metadata: dict[str, Any] = {"grantedBy": granted_by} if granted_by else {}
    entry = NewEntry(
        type=kind,
        amount=amount,
        free_amount=amount if kind is TransactionType.bonus else 0,
        description=reason.strip(),
        metadata=metadata or None,
    )
    async with Balance._meta.db.transaction():
        locked = await lock_balance(user_id)
        if locked is None:
            raise BalanceNotFound()
        return await append_entry(user_id, locked, entry, now=now)


async def grant_by_email(
    email: str,
    amount: int,
    *,
    reason: str,
    free: bool,
    granted_by: str,
    now: datetime,
    settings: Settings,
) -> LedgerChange:
    """`grant` to the user with this email: free credits as a `bonus` row,
    else paid ones as an `adjustment` row.

    :raises UserNotFound: if no user has this email.
    :raises ValueError, InsufficientCredits: as `grant` does.
    """
    user = await User.select(User.id).where(User.email == email.strip().lower()).first()
    if user is None:
        raise UserNotFound(f"No user with the email {email}")
    return await grant(
        user["id"],
        amount,
        reason=reason,
        kind=TransactionType.bonus if free else TransactionType.adjustment,
        granted_by=granted_by,
        now=now,
        settings=settings,
    )
