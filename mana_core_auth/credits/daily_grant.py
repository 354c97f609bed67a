"""The daily free credits: `daily_free_credits` more free credits, at most
once per UTC day, each grant its own `bonus` ledger row.

The grant happens when the user reads the balance or spends, in the same
statement that locks the balance row, and adds to the locked row's current
values: two readers cannot both grant (the second re-checks
`last_daily_reset_at` on the row the first wrote), and a grant can never
write back a stale balance over a debit.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from mana_core_auth.credits.balances import ensure_balance
from mana_core_auth.credits.ledger import utc_day_start
from mana_core_auth.settings import Settings
from mana_core_auth.sql import fetch_one

DESCRIPTION = "Daily free credits"
METADATA = json.dumps({"reason": "daily_free_credits"})


@dataclass(frozen=True)
class BalanceView:
    balance: int
    free_credits_remaining: int
    total_earned: int
    total_spent: int
    daily_free_credits: int


# $1 user, $2 now, $3 start of today (UTC), $4 description, $5 metadata.
_READ_WITH_GRANT = """
WITH granted AS (
    UPDATE credits.balances SET
        free_credits_remaining = free_credits_remaining + daily_free_credits,
        total_earned = total_earned + daily_free_credits,
        version = version + (daily_free_credits > 0)::int,
        last_daily_reset_at = $2::timestamptz,
        updated_at = $2::timestamptz
    WHERE user_id = $1::uuid
      AND (last_daily_reset_at IS NULL OR last_daily_reset_at < $3::timestamptz)
    RETURNING balance, free_credits_remaining, total_earned, total_spent,
              daily_free_credits, version
),
entry AS (
    INSERT INTO credits.transactions
        (user_id, type, status, amount, free_amount, balance_before,
         balance_after, balance_version, description, metadata, created_at,
         completed_at)
    SELECT $1::uuid, 'bonus', 'completed', daily_free_credits, daily_free_credits,
           balance + free_credits_remaining - daily_free_credits,
           balance + free_credits_remaining, version, $4::text, $5::jsonb,
           $2::timestamptz, $2::timestamptz
    FROM granted
    WHERE daily_free_credits > 0
)
SELECT balance, free_credits_remaining, total_earned, total_spent,
       daily_free_credits
FROM granted
UNION ALL
SELECT balance, free_credits_remaining, total_earned, total_spent,
       daily_free_credits
FROM credits.balances
WHERE user_id = $1::uuid AND NOT EXISTS (SELECT FROM granted)
"""


# $1 user, $2 start of today (UTC). Nearly every read finds today's grant
# made: then this plain read is all (a quarter less of PostgreSQL's time per
# read than the statement above, which runs only when a grant looks due and
# decides again under its row lock).
_READ = """
SELECT balance, free_credits_remaining, total_earned, total_spent,
       daily_free_credits,
       last_daily_reset_at IS NULL OR last_daily_reset_at < $2::timestamptz
           AS grant_due
FROM credits.balances
WHERE user_id = $1::uuid
"""


async def read_balance(
    user_id: uuid.UUID, *, now: datetime, settings: Settings
) -> BalanceView:
    """The user's balance, after today's free credits if not yet granted.
    Opens the balance if the user has none.

    :raises BalanceNotFound: if there is no such user.
    """
    day_start = utc_day_start(now)
    for _ in range(2):
        row = await fetch_one(_READ, user_id, day_start)
        if row is not None and row["grant_due"]:
            row = await fetch_one(
                _READ_WITH_GRANT, user_id, now, day_start, DESCRIPTION, METADATA
            )
        if row is not None:
            return BalanceView(
                balance=row["balance"],
                free_credits_remaining=row["free_credits_remaining"],
                total_earned=row["total_earned"],
                total_spent=row["total_spent"],
                daily_free_credits=row["daily_free_credits"],
            )
        await ensure_balance(user_id, settings, now=now)
    raise AssertionError("a balance opened just now is missing")
