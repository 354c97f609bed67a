"""Opening a user's credit balance."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from credit_tables.tables import Balance
from mana_core_auth.credits.errors import BalanceNotFound
from mana_core_auth.settings import Settings
from mana_core_auth.sql import fetch

# The balance with the signup bonus and the bonus's ledger row (0 → bonus),
# so the ledger adds up from the first row on. Placeholders: $1 the user's
# id, $2 the bonus, $3 the daily free credits, $4 the time. Registration puts
# these beside the statement that creates the user (its own values from $5
# on), so the account and its balance are one statement.
OPEN_BALANCE_CTES = """
new_balance AS (
    INSERT INTO credits.balances
        (user_id, balance, free_credits_remaining, daily_free_credits,
         last_daily_reset_at, total_earned, total_spent, version, created_at,
         updated_at)
    VALUES ($1::uuid, 0, $2::int, $3::int, $4::timestamptz, $2::int, 0,
            CASE WHEN $2::int > 0 THEN 1 ELSE 0 END, $4::timestamptz,
            $4::timestamptz)
),
signup_bonus AS (
    INSERT INTO credits.transactions
        (user_id, type, status, amount, free_amount, balance_before,
         balance_after, balance_version, description, created_at, completed_at)
    SELECT $1::uuid, 'bonus', 'completed', $2::int, $2::int, 0, $2::int, 1,
           'Signup bonus', $4::timestamptz, $4::timestamptz
    WHERE $2::int > 0
)"""

_OPEN_BALANCE = f"WITH {OPEN_BALANCE_CTES} SELECT 1"


def open_balance_values(
    user_id: uuid.UUID, settings: Settings, now: datetime
) -> tuple[uuid.UUID, int, int, datetime]:
    """$1 to $4 of `OPEN_BALANCE_CTES`."""
    return user_id, settings.credits_signup_bonus, settings.credits_daily_free, now


async def open_balance(
    user_id: uuid.UUID, settings: Settings, *, now: datetime | None = None
) -> None:
    """Create the user's balance with the signup bonus and its ledger row.

    Call it inside the transaction that creates the user.
    """
    values = open_balance_values(user_id, settings, now or datetime.now(UTC))
    await fetch(_OPEN_BALANCE, *values)


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
