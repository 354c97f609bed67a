"""Opening a user's credit balance."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from credit_tables.tables import (
    Balance,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from mana_core_auth.credits.errors import BalanceNotFound
from mana_core_auth.settings import Settings


async def open_balance(
    user_id: uuid.UUID, settings: Settings, *, now: datetime | None = None
) -> None:
    """Create the user's balance with the signup bonus and the bonus's ledger
    row (0 → bonus), so the ledger adds up from the first row on.

    Call it inside the transaction that creates the user.
    """
    now = now or datetime.now(UTC)
    bonus = settings.credits_signup_bonus
    await Balance.insert(
        Balance(
            user=user_id,
            balance=0,
            free_credits_remaining=bonus,
            daily_free_credits=settings.credits_daily_free,
            last_daily_reset_at=now,
            total_earned=bonus,
            total_spent=0,
            version=1 if bonus > 0 else 0,
            created_at=now,
            updated_at=now,
        )
    )
    if bonus > 0:
        await Transaction.insert(
            Transaction(
                user=user_id,
                type=TransactionType.bonus,
                status=TransactionStatus.completed,
                amount=bonus,
                free_amount=bonus,
                balance_before=0,
                balance_after=bonus,
                balance_version=1,
                description="Signup bonus",
                created_at=now,
                completed_at=now,
            )
        )


async def ensure_balance(
    user_id: uuid.UUID,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> None:
    """Open a balance for a user who has none: one made by an operator in the
    admin, or imported from the original service, which opened balances on
    first read. Does nothing if the user has one.

    :raises BalanceNotFound: if there is no such user.
    """
    if await Balance.exists().where(Balance.user == user_id):
        return
    try:
        async with Balance._meta.db.transaction():
            await open_balance(user_id, settings, now=now)
    except asyncpg.UniqueViolationError:
        pass  # opened by a concurrent request
    except asyncpg.ForeignKeyViolationError as error:
        raise BalanceNotFound() from error
