"""Opening a user's credit account."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from credit_tables.tables import (
    Balance,
    Transaction,
    TransactionStatus,
    TransactionType,
)
from mana_core_auth.settings import Settings


async def open_balance(user_id: uuid.UUID, settings: Settings) -> None:
    """Create the user's balance with the signup bonus and the bonus's ledger
    row (0 → bonus), so the ledger adds up from the first row on.

    Call it inside the transaction that creates the user.
    """
    now = datetime.now(UTC)
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
                balance_before=0,
                balance_after=bonus,
                description="Signup bonus",
                created_at=now,
                completed_at=now,
            )
        )
