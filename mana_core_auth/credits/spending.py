"""Spending credits: one SQL statement checks the user is live, locks the
balance row, grants the daily free credits if due, debits free credits
before paid ones, appends the ledger rows and counts the usage, or does
nothing if the key was used or the credits do not suffice.

One statement is one round trip and holds the row lock only while it runs,
which is what lets many spends of one user go through per second; they
take turns in the process first (`spend_queue`). Each
value it writes is computed from the locked row (`FOR UPDATE` returns the
newest version after waiting), never from a read made before the lock.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from mana_core_auth.credits import daily_grant, idempotency, spend_queue
from mana_core_auth.credits.balances import ensure_balance
from mana_core_auth.credits.errors import BalanceNotFound, InsufficientCredits
from mana_core_auth.credits.ledger import (
    ENTRY_COLUMNS,
    LedgerChange,
    json_or_none,
    utc_day_start,
)
from mana_core_auth.observability import metrics
from mana_core_auth.settings import Settings
from mana_core_auth.sql import fetch_one

# $1 user, $2 amount, $3 app, $4 description, $5 metadata, $6 idempotency
# key, $7 request fingerprint, $8 now, $9 start of today (UTC), $10/$11 the
# daily grant's description and metadata, $12 the API key that spends.
_SPEND = f"""
WITH account AS MATERIALIZED (
    SELECT EXISTS (
        SELECT FROM auth.users WHERE id = $1::uuid AND deleted_at IS NULL
    ) AS live
),
used_key AS MATERIALIZED (
    SELECT id FROM credits.transactions
    WHERE user_id = $1::uuid AND idempotency_key = $6::varchar
),
locked AS MATERIALIZED (
    SELECT balance, free_credits_remaining, total_earned, total_spent, version,
           daily_free_credits,
           last_daily_reset_at IS NULL
               OR last_daily_reset_at < $9::timestamptz AS grant_due
    FROM credits.balances
    WHERE user_id = $1::uuid AND NOT EXISTS (SELECT FROM used_key)
      AND (SELECT live FROM account)
    FOR UPDATE
),
granted AS MATERIALIZED (
    SELECT *,
           CASE WHEN grant_due THEN daily_free_credits ELSE 0 END AS grant_amount
    FROM locked
),
plan AS MATERIALIZED (
    SELECT *,
           free_credits_remaining + grant_amount AS free_now,
           balance + free_credits_remaining + grant_amount AS total_now,
           balance + free_credits_remaining + grant_amount >= $2::int AS enough,
           LEAST($2::int, free_credits_remaining + grant_amount) AS from_free,
           version + (grant_amount > 0)::int AS grant_version
    FROM granted
),
updated AS (
    UPDATE credits.balances AS b SET
        free_credits_remaining =
            p.free_now - CASE WHEN p.enough THEN p.from_free ELSE 0 END,
        balance = p.balance - CASE WHEN p.enough THEN $2::int - p.from_free ELSE 0 END,
        total_earned = p.total_earned + p.grant_amount,
        total_spent = p.total_spent + CASE WHEN p.enough THEN $2::int ELSE 0 END,
        version = p.grant_version + p.enough::int,
        last_daily_reset_at =
            CASE WHEN p.grant_due THEN $8::timestamptz ELSE b.last_daily_reset_at END,
        updated_at = $8::timestamptz
    FROM plan AS p
    WHERE b.user_id = $1::uuid AND (p.enough OR p.grant_due)
    RETURNING b.balance, b.free_credits_remaining, b.total_spent
),
grant_entry AS (
    INSERT INTO credits.transactions
        (user_id, type, status, amount, free_amount, balance_before,
         balance_after, balance_version, description, metadata, created_at,
         completed_at)
    SELECT $1::uuid, 'bonus', 'completed', p.grant_amount, p.grant_amount,
           p.total_now - p.grant_amount, p.total_now, p.grant_version,
           $10::text, $11::jsonb, $8::timestamptz, $8::timestamptz
    FROM plan AS p
    WHERE p.grant_amount > 0
),
usage_entry AS (
    INSERT INTO credits.transactions
        (user_id, type, status, amount, free_amount, balance_before,
         balance_after, balance_version, app_id, description, metadata,
         idempotency_key, request_fingerprint, created_at, completed_at,
         api_key_id)
    SELECT $1::uuid, 'usage', 'completed', -$2::int, -p.from_free, p.total_now,
           p.total_now - $2::int, p.grant_version + 1, $3::varchar, $4::text,
           $5::jsonb, $6::varchar, $7::varchar, $8::timestamptz, $8::timestamptz,
           $12::uuid
    FROM plan AS p
    WHERE p.enough
    RETURNING {ENTRY_COLUMNS}
),
usage_stat AS (
    INSERT INTO credits.usage_stats (user_id, app_id, credits_used, date)
    SELECT $1::uuid, $3::varchar, $2::int, ($8::timestamptz AT TIME ZONE 'UTC')::date
    FROM plan AS p
    WHERE p.enough
    ON CONFLICT (user_id, app_id, date) DO UPDATE
    SET credits_used = usage_stats.credits_used + excluded.credits_used
)
SELECT (SELECT live FROM account) AS user_live,
       EXISTS (SELECT FROM used_key) AS key_used,
       EXISTS (SELECT FROM locked) AS has_balance,
       e.*,
       n.balance AS new_balance,
       n.free_credits_remaining AS new_free,
       n.total_spent AS new_total_spent
FROM (VALUES (true)) AS one (x)
LEFT JOIN usage_entry AS e ON true
LEFT JOIN updated AS n ON true
"""  # noqa: S608 (ENTRY_COLUMNS is a constant)


async def spend(
    user_id: uuid.UUID,
    *,
    amount: int,
    app_id: str,
    description: str,
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    now: datetime,
    settings: Settings,
    api_key_id: uuid.UUID | None = None,
) -> LedgerChange:
    """Debit `amount` credits, free ones first, as one `usage` ledger row.

    With an idempotency key, a repeated request gets the first answer and
    changes nothing. Runs as its own statement: do not call it inside an
    open transaction. `api_key_id` is recorded on the row as the key that spent.

    :raises InsufficientCredits: if paid + free credits are less than `amount`
        (nothing is debited; a due daily grant is still kept).
    :raises IdempotencyKeyReused: if the key was used with another body.
    :raises BalanceNotFound: if there is no such user, or they were deleted
        (checked in the same statement, before an idempotent replay).
    :raises BalanceBusy: if this process's earlier spends of the user held
        the balance longer than the database's lock timeout.
    """
    fingerprint = None
    if idempotency_key is not None:
        fingerprint = idempotency.request_fingerprint(
            amount=amount, app_id=app_id, description=description, metadata=metadata
        )
    arguments = (
        user_id,
        amount,
        app_id,
        description,
        json_or_none(metadata),
        idempotency_key,
        fingerprint,
        now,
        utc_day_start(now),
        daily_grant.DESCRIPTION,
        daily_grant.METADATA,
        api_key_id,
    )
    # 0 is PostgreSQL's "no lock timeout".
    turn_timeout = settings.database_lock_timeout_ms / 1000 or None
    for _ in range(2):
        try:
            async with spend_queue.turn(user_id, timeout_seconds=turn_timeout):
                row = await fetch_one(_SPEND, *arguments)
        except asyncpg.UniqueViolationError as error:
            # A request with the same key committed while this one waited
            # for the row lock: its answer is this one's too.
            if error.constraint_name != idempotency.KEY_CONSTRAINT:
                raise
            return await _replay(user_id, idempotency_key, fingerprint)
        assert row is not None
        if not row["user_live"]:
            raise BalanceNotFound()
        if row["key_used"]:
            return await _replay(user_id, idempotency_key, fingerprint)
        if not row["has_balance"]:
            await ensure_balance(user_id, settings, now=now)
            continue
        if row["id"] is None:
            raise InsufficientCredits()
        metrics.credits_spent(app_id, amount)
        return LedgerChange.from_record(row)
    raise AssertionError("a balance opened just now is missing")


async def _replay(
    user_id: uuid.UUID, idempotency_key: str | None, fingerprint: str | None
) -> LedgerChange:
    assert idempotency_key is not None and fingerprint is not None
    change = await idempotency.replay(user_id, idempotency_key, fingerprint)
    assert change is not None, "the key's row is committed"
    return change
