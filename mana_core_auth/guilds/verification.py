"""Checking every guild pool against its ledger: the pool equals the sum
of its rows, its totals the sums of its fundings and usages, the rows
chain from 0 by version without gaps, every funding has its other side in
the member's own ledger, refunds mirror a usage of the same member, and
each member's spending counters equal their usage in the ledger.

`credits.verification.verify_ledger` runs these checks too, in its
snapshot, so `piccolo mana verify_ledger` covers the pools."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import asyncpg

from mana_core_auth.sql import consistent_snapshot

_POOLS = """
SELECT g.id AS guild_id, p.guild_id IS NOT NULL AS has_pool,
       p.balance, p.total_funded, p.total_spent, p.version,
       coalesce(l.total, 0) AS ledger_total,
       coalesce(l.funded, 0) AS ledger_funded,
       coalesce(l.spent, 0) AS ledger_spent,
       coalesce(l.last_version, 0) AS ledger_version
FROM auth.guilds AS g
LEFT JOIN credits.guild_pools AS p ON p.guild_id = g.id
LEFT JOIN (
    SELECT guild_id, sum(amount) AS total,
           sum(amount) FILTER (WHERE type = 'funding') AS funded,
           -sum(amount) FILTER (WHERE type IN ('usage', 'refund')) AS spent,
           max(version) AS last_version
    FROM credits.guild_pool_transactions
    GROUP BY guild_id
) AS l ON l.guild_id = g.id
WHERE $1::uuid IS NULL OR g.id = $1::uuid
"""

_CHAIN = """
SELECT guild_id, id, problem FROM (
    SELECT guild_id, id,
        CASE
            WHEN balance_before < 0 OR balance_after < 0 THEN 'goes negative'
            WHEN balance_after <> balance_before + amount
                THEN format('before %s + amount %s <> after %s',
                            balance_before, amount, balance_after)
            WHEN previous_version IS NULL AND version <> 1
                THEN format('first row has version %s, not 1', version)
            WHEN previous_version IS NULL AND balance_before <> 0
                THEN format('first row starts at %s, not 0', balance_before)
            WHEN version <> previous_version + 1
                THEN format('version %s follows %s', version, previous_version)
            WHEN balance_before <> previous_after
                THEN format('starts at %s but the row before ended at %s',
                            balance_before, previous_after)
        END AS problem
    FROM (
        SELECT *,
               lag(balance_after) OVER per_pool AS previous_after,
               lag(version) OVER per_pool AS previous_version
        FROM credits.guild_pool_transactions
        WHERE $1::uuid IS NULL OR guild_id = $1::uuid
        WINDOW per_pool AS (PARTITION BY guild_id ORDER BY version)
    ) AS chained
) AS checked
WHERE problem IS NOT NULL
ORDER BY guild_id
"""

# A funding's other side: the same member's completed adjustment of the
# opposite amount. Its member may be gone (hard-deleted with their ledger).
_FUNDINGS = """
SELECT f.guild_id, f.id
FROM credits.guild_pool_transactions AS f
LEFT JOIN credits.transactions AS t ON t.id = f.personal_transaction_id
WHERE f.type = 'funding' AND f.user_id IS NOT NULL
  AND ($1::uuid IS NULL OR f.guild_id = $1::uuid)
  AND (t.id IS NULL OR t.user_id <> f.user_id OR t.amount <> -f.amount
       OR t.type <> 'adjustment' OR t.status <> 'completed')
"""

_REFUNDS = """
SELECT r.guild_id, r.id
FROM credits.guild_pool_transactions AS r
LEFT JOIN credits.guild_pool_transactions AS u ON u.id = r.refund_of
WHERE r.type = 'refund' AND ($1::uuid IS NULL OR r.guild_id = $1::uuid)
  AND (u.id IS NULL OR u.type <> 'usage' OR u.guild_id <> r.guild_id
       OR u.user_id IS DISTINCT FROM r.user_id OR r.amount <> -u.amount)
"""

# Each member's counters against their usage in the ledger (less refunds)
# in the counters' day and that day's month.
_COUNTERS = """
WITH used AS (
    SELECT u.guild_id, u.user_id, (u.created_at AT TIME ZONE 'UTC')::date AS day,
           -u.amount - coalesce(r.amount, 0) AS credits
    FROM credits.guild_pool_transactions AS u
    LEFT JOIN credits.guild_pool_transactions AS r ON r.refund_of = u.id
    WHERE u.type = 'usage' AND ($1::uuid IS NULL OR u.guild_id = $1::uuid)
),
per_day AS (
    SELECT guild_id, user_id, day, sum(credits) AS credits
    FROM used GROUP BY guild_id, user_id, day
),
per_month AS (
    SELECT guild_id, user_id, date_trunc('month', day)::date AS month,
           sum(credits) AS credits
    FROM used GROUP BY guild_id, user_id, date_trunc('month', day)::date
)
SELECT c.guild_id, c.user_id, c.usage_day, c.used_today, c.used_this_month,
       coalesce(d.credits, 0) AS ledger_day, coalesce(m.credits, 0) AS ledger_month
FROM credits.guild_member_limits AS c
LEFT JOIN per_day AS d
    ON d.guild_id = c.guild_id AND d.user_id = c.user_id AND d.day = c.usage_day
LEFT JOIN per_month AS m
    ON m.guild_id = c.guild_id AND m.user_id = c.user_id
   AND m.month = date_trunc('month', c.usage_day)::date
WHERE c.usage_day IS NOT NULL AND ($1::uuid IS NULL OR c.guild_id = $1::uuid)
"""

_COUNT_ROWS = """
SELECT count(*) FROM credits.guild_pool_transactions
WHERE $1::uuid IS NULL OR guild_id = $1::uuid
"""


@dataclass(frozen=True)
class PoolFinding:
    guild_id: uuid.UUID
    problem: str

    def __str__(self) -> str:
        return f"guild {self.guild_id}: {self.problem}"


@dataclass
class PoolReport:
    pools: int = 0
    ledger_rows: int = 0
    findings: list[PoolFinding] = field(default_factory=list)


async def check_pools(
    connection: asyncpg.Connection, guild_id: uuid.UUID | None = None
) -> PoolReport:
    """Every pool (or one guild's), read on `connection`."""
    report = PoolReport()
    pools = await connection.fetch(_POOLS, guild_id)
    report.pools = len(pools)
    report.ledger_rows = await connection.fetchval(_COUNT_ROWS, guild_id)
    for row in pools:
        report.findings += _pool_findings(row)
    for row in await connection.fetch(_CHAIN, guild_id):
        report.findings.append(
            PoolFinding(row["guild_id"], f"pool row {row['id']} {row['problem']}")
        )
    for row in await connection.fetch(_FUNDINGS, guild_id):
        report.findings.append(
            PoolFinding(
                row["guild_id"],
                f"funding {row['id']} has no matching row in the member's ledger",
            )
        )
    for row in await connection.fetch(_REFUNDS, guild_id):
        report.findings.append(
            PoolFinding(
                row["guild_id"],
                f"refund {row['id']} does not mirror a usage of the same member",
            )
        )
    for row in await connection.fetch(_COUNTERS, guild_id):
        report.findings += _counter_findings(row)
    return report


async def verify_pools(guild_id: uuid.UUID | None = None) -> PoolReport:
    """`check_pools` in a snapshot of its own."""
    async with consistent_snapshot() as connection:
        return await check_pools(connection, guild_id)


def _pool_findings(row: asyncpg.Record) -> list[PoolFinding]:
    guild_id = row["guild_id"]
    if not row["has_pool"]:
        return [PoolFinding(guild_id, "has no pool")]
    problems = [
        f"{name} is negative ({row[name]})"
        for name in ("balance", "total_funded", "total_spent")
        if row[name] < 0
    ]
    if row["balance"] != row["ledger_total"]:
        problems.append(
            f"pool holds {row['balance']}, but its ledger sums to {row['ledger_total']}"
        )
    if row["total_funded"] != row["ledger_funded"]:
        problems.append(
            f"total funded {row['total_funded']}, but the fundings sum to "
            f"{row['ledger_funded']}"
        )
    if row["total_spent"] != row["ledger_spent"]:
        problems.append(
            f"total spent {row['total_spent']}, but usages less refunds sum to "
            f"{row['ledger_spent']}"
        )
    if row["version"] != row["ledger_version"]:
        problems.append(
            f"pool version {row['version']}, but the last ledger row has "
            f"version {row['ledger_version']}"
        )
    return [PoolFinding(guild_id, problem) for problem in problems]


def _counter_findings(row: asyncpg.Record) -> list[PoolFinding]:
    who = f"member {row['user_id']}"
    day, month = row["usage_day"], row["usage_day"].strftime("%Y-%m")
    problems = []
    if row["used_today"] != row["ledger_day"]:
        problems.append(
            f"{who} counted {row['used_today']} spent on {day}, the ledger "
            f"says {row['ledger_day']}"
        )
    if row["used_this_month"] != row["ledger_month"]:
        problems.append(
            f"{who} counted {row['used_this_month']} spent in {month}, the "
            f"ledger says {row['ledger_month']}"
        )
    return [PoolFinding(row["guild_id"], problem) for problem in problems]
