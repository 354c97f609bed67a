"""Refunding a pool usage: once, by id, as a `refund` row linked to it
that gives the credits back to the pool and to the member's day and month
(service and admin tokens; see `pool_endpoints`).

One transaction: the pool row is locked first, then the member's limits
row, the order every writer keeps (see `mana_core_auth.guilds`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from credit_tables.tables import GuildPoolTransaction, GuildPoolTransactionType
from mana_core_auth.credits.errors import (
    AlreadyRefunded,
    NotRefundable,
    TransactionNotFound,
)
from mana_core_auth.credits.ledger import json_or_none, utc_date
from mana_core_auth.guilds.errors import GuildNotFound
from mana_core_auth.guilds.pool import ENTRY_COLUMNS, PoolChange
from mana_core_auth.sql import fetch, fetch_one

REFUND_CONSTRAINT = "guild_pool_transactions_refund_of_key"

_LOCK_POOL = """
SELECT balance, total_funded, total_spent, version FROM credits.guild_pools
WHERE guild_id = $1::uuid FOR UPDATE
"""

_USAGE = """
SELECT user_id, type, amount, app_id, created_at FROM credits.guild_pool_transactions
WHERE id = $1::uuid AND guild_id = $2::uuid
"""

_REFUND = f"""
WITH pool_update AS (
    UPDATE credits.guild_pools SET
        balance = balance + $4::int,
        total_spent = total_spent - $4::int,
        version = version + 1,
        updated_at = $8::timestamptz
    WHERE guild_id = $1::uuid
    RETURNING balance, total_funded, total_spent, version
),
entry AS (
    INSERT INTO credits.guild_pool_transactions
        (id, guild_id, user_id, type, amount, balance_before, balance_after,
         version, app_id, description, metadata, refund_of, created_at)
    SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'refund', $4::int,
           p.balance - $4::int, p.balance, p.version, $5::varchar, $6::text,
           $7::jsonb, $3::uuid, $8::timestamptz
    FROM pool_update AS p
    RETURNING {ENTRY_COLUMNS}
)
SELECT e.*, p.balance AS pool_balance, p.total_funded AS pool_total_funded,
       p.total_spent AS pool_total_spent
FROM entry AS e CROSS JOIN pool_update AS p
"""  # noqa: S608 (ENTRY_COLUMNS is a constant)

# Take the refunded credits off the member's counters if they still count
# the usage's day or month.
_UNCOUNT = """
UPDATE credits.guild_member_limits SET
    used_today = used_today - CASE WHEN usage_day = $3::date THEN $4::int ELSE 0 END,
    used_this_month = used_this_month - CASE
        WHEN date_trunc('month', usage_day) = date_trunc('month', $3::date)
        THEN $4::int ELSE 0 END
WHERE guild_id = $1::uuid AND user_id = $2::uuid
"""


async def refund(
    guild_id: uuid.UUID,
    transaction_id: uuid.UUID,
    *,
    reason: str,
    refunded_by: str | None = None,
    now: datetime,
) -> PoolChange:
    """Give a usage's credits back to the pool, once, and take them off
    the member's spending in the usage's day and month.

    :raises GuildNotFound: if there is no such guild.
    :raises TransactionNotFound: if the guild's ledger has no such row.
    :raises NotRefundable: unless it is a usage.
    :raises AlreadyRefunded: if it was refunded before.
    """
    metadata: dict[str, Any] = {"refundedBy": refunded_by} if refunded_by else {}
    db = GuildPoolTransaction._meta.db
    try:
        async with db.transaction():
            if await fetch_one(_LOCK_POOL, guild_id) is None:
                raise GuildNotFound()
            usage = await fetch_one(_USAGE, transaction_id, guild_id)
            if usage is None:
                raise TransactionNotFound()
            if usage["type"] != GuildPoolTransactionType.usage.value:
                raise NotRefundable()
            # Read after taking the lock, so a refund committed meanwhile is seen.
            if await GuildPoolTransaction.exists().where(
                GuildPoolTransaction.refund_of == transaction_id
            ):
                raise AlreadyRefunded()
            amount = -usage["amount"]
            # Pool row, then the limits row: the order every writer keeps.
            await fetch(
                _UNCOUNT,
                guild_id,
                usage["user_id"],
                utc_date(usage["created_at"]),
                amount,
            )
            row = await fetch_one(
                _REFUND,
                guild_id,
                usage["user_id"],
                transaction_id,
                amount,
                usage["app_id"],
                reason.strip() or "Refund",
                json_or_none(metadata or None),
                now,
            )
            assert row is not None
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name != REFUND_CONSTRAINT:
            raise
        raise AlreadyRefunded() from error
    return PoolChange.from_record(row)
