"""A guild's pool: its balance, spending from it for a member, and its
ledger (refunds: `refunds`, funding: `funding`).

Spending is one SQL statement, like a member's own spending
(`credits.spending`): it locks the pool row, then the member's limits row,
checks the member's daily and monthly limit, the pool's balance and the
idempotency key, debits the pool, counts the usage on the limits row and
appends the ledger row, or does nothing. Every value it writes comes from
the locked rows (`FOR UPDATE` returns their newest version after waiting),
never from a read made before the lock: a sum over the ledger in the same
statement would see the snapshot taken before the wait, and concurrent
spends could then all pass one limit. The limits row's counters are that
sum, kept in step; `verification` checks them against the ledger.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from piccolo.columns.combination import Combinable

from credit_tables.tables import GuildPoolTransaction, GuildPoolTransactionType
from mana_core_auth.credits.errors import IdempotencyKeyReused, InsufficientCredits
from mana_core_auth.credits.ledger import json_or_none
from mana_core_auth.guilds.errors import GuildNotFound, SpendingLimitExceeded
from mana_core_auth.guilds.membership import ensure_limits_row, require_member
from mana_core_auth.sql import fetch_one

KEY_CONSTRAINT = "guild_pool_transactions_guild_idempotency_key_unique"

ENTRY_FIELDS = (
    GuildPoolTransaction.id,
    GuildPoolTransaction.guild,
    GuildPoolTransaction.user,
    GuildPoolTransaction.type,
    GuildPoolTransaction.amount,
    GuildPoolTransaction.balance_before,
    GuildPoolTransaction.balance_after,
    GuildPoolTransaction.app_id,
    GuildPoolTransaction.description,
    GuildPoolTransaction.metadata,
    GuildPoolTransaction.idempotency_key,
    GuildPoolTransaction.personal_transaction,
    GuildPoolTransaction.refund_of,
    GuildPoolTransaction.created_at,
)
ENTRY_COLUMNS = ", ".join(field._meta.db_column_name for field in ENTRY_FIELDS)


@dataclass(frozen=True)
class PoolState:
    balance: int
    total_funded: int
    total_spent: int


@dataclass(frozen=True)
class PoolEntry:
    id: uuid.UUID
    guild_id: uuid.UUID
    user_id: uuid.UUID | None
    type: str
    amount: int
    balance_before: int
    balance_after: int
    app_id: str | None
    description: str | None
    metadata: dict[str, Any] | None
    idempotency_key: str | None
    personal_transaction_id: uuid.UUID | None
    refund_of: uuid.UUID | None
    created_at: datetime

    @classmethod
    def from_record(cls, record: asyncpg.Record | dict[str, Any]) -> PoolEntry:
        metadata = record["metadata"]
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        return cls(
            id=record["id"],
            guild_id=record["guild_id"],
            user_id=record["user_id"],
            type=record["type"],
            amount=record["amount"],
            balance_before=record["balance_before"],
            balance_after=record["balance_after"],
            app_id=record["app_id"],
            description=record["description"],
            metadata=metadata,
            idempotency_key=record["idempotency_key"],
            personal_transaction_id=record["personal_transaction_id"],
            refund_of=record["refund_of"],
            created_at=record["created_at"],
        )


@dataclass(frozen=True)
class PoolChange:
    """A pool ledger row and the pool right after it."""

    transaction: PoolEntry
    pool: PoolState

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> PoolChange:
        """From a ledger row with the pool after it as `pool_balance`,
        `pool_total_funded` and `pool_total_spent`."""
        return cls(
            transaction=PoolEntry.from_record(record),
            pool=PoolState(
                balance=record["pool_balance"],
                total_funded=record["pool_total_funded"],
                total_spent=record["pool_total_spent"],
            ),
        )


def request_fingerprint(operation: str, user_id: uuid.UUID, **body: Any) -> str:
    """Who sent which request with a key: keys are unique per guild, so
    another member's request with the same key is a different request."""
    canonical = json.dumps(
        {"operation": operation, "userId": str(user_id), **body},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def pool_state(guild_id: uuid.UUID, user_id: uuid.UUID) -> PoolState:
    """:raises GuildNotFound: unless the user is a member."""
    await require_member(guild_id, user_id)
    row = await fetch_one(
        "SELECT balance, total_funded, total_spent FROM credits.guild_pools "
        "WHERE guild_id = $1::uuid",
        guild_id,
    )
    if row is None:
        raise GuildNotFound()
    return PoolState(**dict(row))


# The entry and the pool right after it, summed from the ledger up to the
# entry's version: what the first answer said.
_REPLAY = f"""
SELECT {ENTRY_COLUMNS}, request_fingerprint, balance_after AS pool_balance,
    (SELECT coalesce(sum(l.amount), 0) FROM credits.guild_pool_transactions l
     WHERE l.guild_id = t.guild_id AND l.type = 'funding'
       AND l.version <= t.version) AS pool_total_funded,
    (SELECT coalesce(-sum(l.amount), 0) FROM credits.guild_pool_transactions l
     WHERE l.guild_id = t.guild_id AND l.type IN ('usage', 'refund')
       AND l.version <= t.version) AS pool_total_spent
FROM credits.guild_pool_transactions t
WHERE t.guild_id = $1::uuid AND t.idempotency_key = $2::varchar
"""  # noqa: S608 (ENTRY_COLUMNS is a constant)


async def replay(
    guild_id: uuid.UUID, idempotency_key: str, fingerprint: str
) -> tuple[PoolChange, asyncpg.Record] | None:
    """The first answer for this key and its row, or None if it is unused.

    :raises IdempotencyKeyReused: if the key was used with another request.
    """
    row = await fetch_one(_REPLAY, guild_id, idempotency_key)
    if row is None:
        return None
    if row["request_fingerprint"] != fingerprint:
        raise IdempotencyKeyReused()
    return PoolChange.from_record(row), row


# $1 guild, $2 member, $3 amount, $4 app, $5 description, $6 metadata,
# $7 idempotency key, $8 request fingerprint, $9 now.
# A member's counters belong to the UTC day of their latest usage: should a
# clock lag behind it, the usage counts (and is dated) in that day.
# The UPDATEs set every column that can change from `go` (the locked rows),
# never from their own target (`g`, `l`): when the row was changed while the
# statement waited for the lock, the target can still carry the version of
# the statement's snapshot (shown by a test in test_pool_concurrency.py).
_SPEND = f"""
WITH member AS MATERIALIZED (
    SELECT FROM auth.guild_members
    WHERE guild_id = $1::uuid AND user_id = $2::uuid
),
used_key AS MATERIALIZED (
    SELECT id FROM credits.guild_pool_transactions
    WHERE guild_id = $1::uuid AND idempotency_key = $7::varchar
),
pool AS MATERIALIZED (
    SELECT balance, total_funded, total_spent, version
    FROM credits.guild_pools
    WHERE guild_id = $1::uuid
      AND EXISTS (SELECT FROM member) AND NOT EXISTS (SELECT FROM used_key)
    FOR UPDATE
),
counter AS MATERIALIZED (
    SELECT daily_limit, monthly_limit, usage_day, used_today, used_this_month
    FROM credits.guild_member_limits
    WHERE guild_id = $1::uuid AND user_id = $2::uuid AND EXISTS (SELECT FROM pool)
    FOR UPDATE
),
window_ AS MATERIALIZED (
    SELECT c.*, d.day,
           greatest($9::timestamptz, d.day::timestamp AT TIME ZONE 'UTC') AS at,
           CASE WHEN c.usage_day = d.day THEN c.used_today ELSE 0 END
               AS today_before,
           CASE WHEN date_trunc('month', c.usage_day) = date_trunc('month', d.day)
                THEN c.used_this_month ELSE 0 END AS month_before
    FROM counter AS c
    CROSS JOIN LATERAL (
        SELECT greatest(($9::timestamptz AT TIME ZONE 'UTC')::date, c.usage_day)
            AS day
    ) AS d
),
plan AS MATERIALIZED (
    SELECT p.balance, p.total_funded, p.total_spent, p.version, w.*,
           w.daily_limit IS NULL OR w.today_before + $3::int <= w.daily_limit
               AS within_daily,
           w.monthly_limit IS NULL OR w.month_before + $3::int <= w.monthly_limit
               AS within_monthly,
           p.balance >= $3::int AS enough
    FROM pool AS p CROSS JOIN window_ AS w
),
go AS MATERIALIZED (
    SELECT * FROM plan WHERE within_daily AND within_monthly AND enough
),
pool_update AS (
    UPDATE credits.guild_pools AS g SET
        balance = go.balance - $3::int,
        total_funded = go.total_funded,
        total_spent = go.total_spent + $3::int,
        version = go.version + 1,
        updated_at = $9::timestamptz
    FROM go
    WHERE g.guild_id = $1::uuid
    RETURNING g.balance, g.total_funded, g.total_spent
),
counter_update AS (
    UPDATE credits.guild_member_limits AS l SET
        daily_limit = go.daily_limit,
        monthly_limit = go.monthly_limit,
        usage_day = go.day,
        used_today = go.today_before + $3::int,
        used_this_month = go.month_before + $3::int,
        updated_at = $9::timestamptz
    FROM go
    WHERE l.guild_id = $1::uuid AND l.user_id = $2::uuid
),
entry AS (
    INSERT INTO credits.guild_pool_transactions
        (id, guild_id, user_id, type, amount, balance_before, balance_after,
         version, app_id, description, metadata, idempotency_key,
         request_fingerprint, created_at)
    SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'usage', -$3::int, go.balance,
           go.balance - $3::int, go.version + 1, $4::varchar, $5::text,
           $6::jsonb, $7::varchar, $8::varchar, go.at
    FROM go
    RETURNING {ENTRY_COLUMNS}
)
SELECT EXISTS (SELECT FROM member) AS is_member,
       EXISTS (SELECT FROM used_key) AS key_used,
       EXISTS (SELECT FROM pool) AS has_pool,
       EXISTS (SELECT FROM counter) AS has_counter,
       plan.within_daily, plan.within_monthly, plan.enough,
       plan.daily_limit, plan.monthly_limit, plan.today_before, plan.month_before,
       e.*,
       u.balance AS pool_balance,
       u.total_funded AS pool_total_funded,
       u.total_spent AS pool_total_spent
FROM (VALUES (true)) AS one (x)
LEFT JOIN plan ON true
LEFT JOIN entry AS e ON true
LEFT JOIN pool_update AS u ON true
"""  # noqa: S608 (ENTRY_COLUMNS is a constant)


async def spend(
    guild_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    amount: int,
    app_id: str,
    description: str,
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    now: datetime,
) -> PoolChange:
    """Spend `amount` of the pool for the member `user_id`, as one `usage`
    row. With an idempotency key, a repeated request gets the first answer
    and changes nothing. Runs as its own statement: do not call it inside
    an open transaction.

    :raises GuildNotFound: unless the user is a member.
    :raises SpendingLimitExceeded: past the member's daily or monthly limit
        (checked before the pool's balance).
    :raises InsufficientCredits: if the pool holds less than `amount`.
    :raises IdempotencyKeyReused: if the key was used with another request.
    """
    fingerprint = None
    if idempotency_key is not None:
        fingerprint = request_fingerprint(
            "use",
            user_id,
            amount=amount,
            appId=app_id,
            description=description,
            metadata=metadata,
        )
    arguments = (
        guild_id,
        user_id,
        amount,
        app_id,
        description,
        json_or_none(metadata),
        idempotency_key,
        fingerprint,
        now,
    )
    for _ in range(2):
        try:
            row = await fetch_one(_SPEND, *arguments)
        except asyncpg.UniqueViolationError as error:
            # A request with the same key committed while this one waited
            # for the pool's lock: its answer is this one's too.
            if error.constraint_name != KEY_CONSTRAINT:
                raise
            return await _replay(guild_id, idempotency_key, fingerprint)
        assert row is not None
        if not row["is_member"]:
            raise GuildNotFound()
        if row["key_used"]:
            return await _replay(guild_id, idempotency_key, fingerprint)
        if not row["has_pool"]:
            raise GuildNotFound()
        if not row["has_counter"]:
            await ensure_limits_row(guild_id, user_id)
            continue
        if not row["within_daily"]:
            raise SpendingLimitExceeded(
                f"Daily spending limit in this guild: {row['daily_limit']}, "
                f"used today: {row['today_before']}"
            )
        if not row["within_monthly"]:
            raise SpendingLimitExceeded(
                f"Monthly spending limit in this guild: {row['monthly_limit']}, "
                f"used this month: {row['month_before']}"
            )
        if row["id"] is None:
            raise InsufficientCredits()
        return PoolChange.from_record(row)
    raise AssertionError("a limits row opened just now is missing")


async def _replay(
    guild_id: uuid.UUID, idempotency_key: str | None, fingerprint: str | None
) -> PoolChange:
    assert idempotency_key is not None and fingerprint is not None
    found = await replay(guild_id, idempotency_key, fingerprint)
    assert found is not None, "the key's row is committed"
    return found[0]


async def list_transactions(
    guild_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
    kind: GuildPoolTransactionType | None = None,
    member_id: uuid.UUID | None = None,
) -> list[PoolEntry]:
    """The pool's ledger, newest first; every member sees all of it.

    :raises GuildNotFound: unless the user is a member.
    """
    await require_member(guild_id, user_id)
    where: Combinable = GuildPoolTransaction.guild == guild_id
    if kind is not None:
        where &= GuildPoolTransaction.type == kind
    if member_id is not None:
        where &= GuildPoolTransaction.user == member_id
    rows = await (
        GuildPoolTransaction.select(*ENTRY_FIELDS)
        .where(where)
        .order_by(GuildPoolTransaction.version, ascending=False)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    return [PoolEntry.from_record(row) for row in rows]
