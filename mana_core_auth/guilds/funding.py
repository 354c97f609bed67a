"""Funding a guild's pool from a member's own credits: one database
transaction writes a ledger row on each side.

The member's side goes through the one ledger writer (`lock_balance`,
`append_entry`) as an `adjustment` with a negative amount, counted as
spending (`total_spent`), free credits first like a spend. Not a `usage`:
a usage can be refunded to the member (`credits/refunds.py`) while the
credits stay in the pool, and would need a per-app usage count. The pool's
side is a `funding` row that names the member's row
(`personal_transaction`).

Locks: the member's balance row first, then the pool row, the order every
writer keeps (see `mana_core_auth.guilds`), so funding and spending never
wait for each other in a circle.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from credit_tables.tables import GuildPoolTransaction, TransactionType
from mana_core_auth.credits.daily_grant import read_balance
from mana_core_auth.credits.errors import BalanceNotFound
from mana_core_auth.credits.ledger import (
    ENTRY_COLUMNS as PERSONAL_ENTRY_COLUMNS,
)
from mana_core_auth.credits.ledger import (
    LedgerChange,
    LedgerEntry,
    NewBalance,
    NewEntry,
    append_entry,
    lock_balance,
)
from mana_core_auth.guilds.errors import GuildNotFound
from mana_core_auth.guilds.membership import require_member
from mana_core_auth.guilds.pool import (
    ENTRY_COLUMNS,
    KEY_CONSTRAINT,
    PoolChange,
    PoolEntry,
    PoolState,
    replay,
    request_fingerprint,
)
from mana_core_auth.settings import Settings
from mana_core_auth.sql import fetch_one

FUNDING_REASON = "guild_pool_funding"


@dataclass(frozen=True)
class Funding:
    """Both sides of a funding: the pool's row and the member's row."""

    pool_change: PoolChange
    personal_change: LedgerChange

    # The answer's fields.
    @property
    def transaction(self) -> PoolEntry:
        return self.pool_change.transaction

    @property
    def pool(self) -> PoolState:
        return self.pool_change.pool

    @property
    def personal_transaction(self) -> LedgerEntry:
        return self.personal_change.transaction

    @property
    def new_balance(self) -> NewBalance:
        return self.personal_change.new_balance


# The pool row, locked, if the user is a member (read after the lock).
_LOCK_POOL = """
SELECT p.balance, p.total_funded, p.total_spent, p.version, g.name
FROM credits.guild_pools AS p
JOIN auth.guilds AS g ON g.id = p.guild_id
WHERE p.guild_id = $1::uuid
  AND EXISTS (SELECT FROM auth.guild_members
              WHERE guild_id = $1::uuid AND user_id = $2::uuid)
FOR UPDATE OF p
"""

# $1 guild, $2 member, $3 amount, $4 personal ledger row, $5 key,
# $6 fingerprint, $7 now, $8 description.
_FUND = f"""
WITH pool_update AS (
    UPDATE credits.guild_pools SET
        balance = balance + $3::int,
        total_funded = total_funded + $3::int,
        version = version + 1,
        updated_at = $7::timestamptz
    WHERE guild_id = $1::uuid
    RETURNING balance, total_funded, total_spent, version
),
entry AS (
    INSERT INTO credits.guild_pool_transactions
        (id, guild_id, user_id, type, amount, balance_before, balance_after,
         version, description, idempotency_key, request_fingerprint,
         personal_transaction_id, created_at)
    SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'funding', $3::int,
           p.balance - $3::int, p.balance, p.version, $8::text, $5::varchar,
           $6::varchar, $4::uuid, $7::timestamptz
    FROM pool_update AS p
    RETURNING {ENTRY_COLUMNS}
)
SELECT e.*, p.balance AS pool_balance, p.total_funded AS pool_total_funded,
       p.total_spent AS pool_total_spent
FROM entry AS e CROSS JOIN pool_update AS p
"""  # noqa: S608 (ENTRY_COLUMNS is a constant)

# A member's ledger row and their balance right after it, summed from the
# ledger up to its version (as `credits.idempotency` replays a spend).
_PERSONAL_AFTER = f"""
SELECT {PERSONAL_ENTRY_COLUMNS},
    (SELECT coalesce(sum(l.amount - l.free_amount), 0) FROM credits.transactions l
     WHERE l.user_id = t.user_id AND l.status = 'completed'
       AND l.balance_version <= t.balance_version) AS new_balance,
    (SELECT coalesce(sum(l.free_amount), 0) FROM credits.transactions l
     WHERE l.user_id = t.user_id AND l.status = 'completed'
       AND l.balance_version <= t.balance_version) AS new_free,
    (SELECT coalesce(-sum(l.amount), 0) FROM credits.transactions l
     WHERE l.user_id = t.user_id AND l.status = 'completed'
       AND (l.type IN ('usage', 'refund')
            OR l.metadata @> '{{"reason": "{FUNDING_REASON}"}}'::jsonb)
       AND l.balance_version <= t.balance_version) AS new_total_spent
FROM credits.transactions t
WHERE t.id = $1::uuid
"""  # noqa: S608 (constants only)


async def fund(
    guild_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    amount: int,
    idempotency_key: str | None = None,
    now: datetime,
    settings: Settings,
) -> Funding:
    """Move `amount` of the member's own credits (free ones first) into the
    guild's pool. With an idempotency key, a repeated request gets the first
    answer and moves nothing.

    :raises GuildNotFound: unless the user is a member.
    :raises InsufficientCredits: if the member has less than `amount`.
    :raises IdempotencyKeyReused: if the key was used with another request.
    """
    await require_member(guild_id, user_id)
    fingerprint = None
    if idempotency_key is not None:
        fingerprint = request_fingerprint("fund", user_id, amount=amount)
        first = await _replay(guild_id, idempotency_key, fingerprint)
        if first is not None:
            return first
    # Opens a missing balance and grants today's free credits, as a spend does.
    await read_balance(user_id, now=now, settings=settings)
    try:
        async with GuildPoolTransaction._meta.db.transaction():
            locked = await lock_balance(user_id)
            if locked is None:
                raise BalanceNotFound()
            pool = await fetch_one(_LOCK_POOL, guild_id, user_id)
            if pool is None:
                raise GuildNotFound()
            if idempotency_key is not None:
                assert fingerprint is not None
                first = await _replay(guild_id, idempotency_key, fingerprint)
                if first is not None:
                    return first
            description = f"Funded the pool of the guild {pool['name']}"
            personal = await append_entry(
                user_id,
                locked,
                NewEntry(
                    type=TransactionType.adjustment,
                    amount=-amount,
                    free_amount=-min(amount, locked["free_credits_remaining"]),
                    description=description,
                    metadata={"reason": FUNDING_REASON, "guildId": str(guild_id)},
                    counts_as_spending=True,
                ),
                now=now,
            )
            row = await fetch_one(
                _FUND,
                guild_id,
                user_id,
                amount,
                personal.transaction.id,
                idempotency_key,
                fingerprint,
                now,
                description,
            )
            assert row is not None
    except asyncpg.UniqueViolationError as error:
        # Another member's request with this key committed first.
        if error.constraint_name != KEY_CONSTRAINT:
            raise
        assert idempotency_key is not None and fingerprint is not None
        first = await _replay(guild_id, idempotency_key, fingerprint)
        assert first is not None, "the key's row is committed"
        return first
    return Funding(pool_change=PoolChange.from_record(row), personal_change=personal)


async def _replay(
    guild_id: uuid.UUID, idempotency_key: str, fingerprint: str
) -> Funding | None:
    found = await replay(guild_id, idempotency_key, fingerprint)
    if found is None:
        return None
    change, row = found
    personal = await fetch_one(_PERSONAL_AFTER, row["personal_transaction_id"])
    assert personal is not None, "a funding names its other side"
    return Funding(
        pool_change=change, personal_change=LedgerChange.from_record(personal)
    )
