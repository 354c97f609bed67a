"""Checking the whole ledger: every balance equals the sum of its completed
ledger rows (in total and in free credits), each user's rows chain from 0
without gaps, nothing is negative, refunds match what they refund, the
usage counts match the usage rows, and Stripe purchases match the ledger
rows that name them; and every guild pool against its own ledger
(`guilds.verification`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import asyncpg

from mana_core_auth.guilds.verification import PoolFinding, check_pools
from mana_core_auth.sql import consistent_snapshot

_BALANCES = """
SELECT b.user_id, b.balance, b.free_credits_remaining, b.total_earned,
       b.total_spent, b.version,
       coalesce(l.total, 0) AS ledger_total,
       coalesce(l.free, 0) AS ledger_free,
       coalesce(l.last_version, 0) AS ledger_version
FROM credits.balances AS b
LEFT JOIN (
    SELECT user_id, sum(amount) AS total, sum(free_amount) AS free,
           max(balance_version) AS last_version
    FROM credits.transactions
    WHERE status = 'completed'
    GROUP BY user_id
) AS l USING (user_id)
WHERE $1::uuid IS NULL OR b.user_id = $1::uuid
"""

_CHAIN = """
SELECT user_id, id, problem FROM (
    SELECT user_id, id,
        CASE
            WHEN balance_version IS NULL THEN 'has no balance_version'
            WHEN balance_before < 0 OR balance_after < 0 THEN 'goes negative'
            WHEN balance_after <> balance_before + amount
                THEN format('before %s + amount %s <> after %s',
                            balance_before, amount, balance_after)
            WHEN previous_version IS NULL AND balance_version <> 1
                THEN format('first row has version %s, not 1', balance_version)
            WHEN previous_version IS NULL AND balance_before <> 0
                THEN format('first row starts at %s, not 0', balance_before)
            WHEN balance_version <> previous_version + 1
                THEN format('version %s follows %s', balance_version,
                            previous_version)
            WHEN balance_before <> previous_after
                THEN format('starts at %s but the row before ended at %s',
                            balance_before, previous_after)
        END AS problem
    FROM (
        SELECT *,
               lag(balance_after) OVER per_user AS previous_after,
               lag(balance_version) OVER per_user AS previous_version
        FROM credits.transactions
        WHERE status = 'completed' AND ($1::uuid IS NULL OR user_id = $1::uuid)
        WINDOW per_user AS (PARTITION BY user_id ORDER BY balance_version)
    ) AS chained
) AS checked
WHERE problem IS NOT NULL
ORDER BY user_id
"""

_ORPHANS = """
SELECT DISTINCT t.user_id
FROM credits.transactions AS t
LEFT JOIN credits.balances AS b USING (user_id)
WHERE b.user_id IS NULL AND ($1::uuid IS NULL OR t.user_id = $1::uuid)
"""

_REFUNDS = """
SELECT r.user_id, r.id
FROM credits.transactions AS r
LEFT JOIN credits.transactions AS u ON u.id = r.refund_of
WHERE r.type = 'refund' AND r.status = 'completed'
  AND ($1::uuid IS NULL OR r.user_id = $1::uuid)
  -- Refunds of purchases (Stripe) are checked by _PURCHASES.
  AND NOT (r.refund_of IS NULL AND r.metadata ? 'purchaseId')
  AND (u.id IS NULL OR u.type <> 'usage' OR u.status <> 'completed'
       OR u.user_id <> r.user_id OR r.amount <> -u.amount
       OR r.free_amount <> -u.free_amount)
"""

_USAGE_STATS = """
WITH used AS (
    SELECT u.user_id, u.app_id, (u.created_at AT TIME ZONE 'UTC')::date AS date,
           -u.amount - coalesce(r.amount, 0) AS credits
    FROM credits.transactions AS u
    LEFT JOIN credits.transactions AS r
        ON r.refund_of = u.id AND r.status = 'completed'
    WHERE u.type = 'usage' AND u.status = 'completed'
),
per_day AS (
    SELECT user_id, app_id, date, sum(credits) AS credits
    FROM used
    GROUP BY user_id, app_id, date
)
SELECT coalesce(p.user_id, s.user_id) AS user_id,
       coalesce(p.app_id, s.app_id) AS app_id,
       coalesce(p.date, s.date) AS date,
       coalesce(p.credits, 0) AS ledger_credits,
       coalesce(s.credits_used, 0) AS counted_credits
FROM per_day AS p
FULL JOIN credits.usage_stats AS s
    ON s.user_id = p.user_id AND s.app_id = p.app_id AND s.date = p.date
WHERE coalesce(p.credits, 0) <> coalesce(s.credits_used, 0)
  AND ($1::uuid IS NULL OR coalesce(p.user_id, s.user_id) = $1::uuid)
"""

# Purchases made through Stripe Checkout against the ledger rows naming
# them: a completed one has exactly one `purchase` row of its credits and
# `refund` rows adding up to what refunds and disputes took back; any other
# has none.
_PURCHASES = """
WITH granted AS (
    SELECT metadata->>'purchaseId' AS purchase_id, count(*) AS rows,
           sum(amount) AS credits, (array_agg(user_id))[1] AS user_id,
           count(DISTINCT user_id) AS users
    FROM credits.transactions
    WHERE type = 'purchase' AND status = 'completed' AND metadata ? 'purchaseId'
    GROUP BY 1
),
reversed AS (
    SELECT metadata->>'purchaseId' AS purchase_id, -sum(amount) AS credits,
           (array_agg(user_id))[1] AS user_id, count(DISTINCT user_id) AS users
    FROM credits.transactions
    WHERE type = 'refund' AND status = 'completed' AND refund_of IS NULL
      AND metadata ? 'purchaseId'
    GROUP BY 1
),
purchases AS (
    SELECT *, least(credits, refunded_credits + disputed_credits)
              - credit_shortfall AS taken_back
    FROM credits.purchases
    WHERE stripe_checkout_session_id IS NOT NULL
)
SELECT user_id, purchase_id, problem FROM (
    SELECT coalesce(p.user_id, g.user_id, r.user_id) AS user_id,
           coalesce(p.id::text, g.purchase_id, r.purchase_id) AS purchase_id,
        CASE
            WHEN p.id IS NULL
                THEN 'has ledger rows naming it, but no such Stripe purchase'
            WHEN coalesce(g.users, 0) > 1 OR coalesce(r.users, 0) > 1
                OR g.user_id <> p.user_id OR r.user_id <> p.user_id
                THEN 'has ledger rows of another user'
            WHEN p.status <> 'completed'
                AND (g.rows IS NOT NULL OR r.credits IS NOT NULL)
                THEN format('is %s, but has ledger rows', p.status)
            WHEN p.status <> 'completed' THEN NULL
            WHEN coalesce(g.rows, 0) <> 1
                THEN format('is completed with %s purchase ledger rows, not 1',
                            coalesce(g.rows, 0))
            WHEN g.credits <> p.credits
                THEN format('sold %s credits, but its ledger row grants %s',
                            p.credits, g.credits)
            WHEN coalesce(r.credits, 0) <> p.taken_back
                THEN format('refunds and disputes took back %s credits, the '
                            'ledger says %s', p.taken_back, coalesce(r.credits, 0))
        END AS problem
    FROM purchases AS p
    FULL JOIN granted AS g ON g.purchase_id = p.id::text
    FULL JOIN reversed AS r ON r.purchase_id = coalesce(p.id::text, g.purchase_id)
) AS checked
WHERE problem IS NOT NULL AND ($1::uuid IS NULL OR user_id = $1::uuid)
ORDER BY user_id
"""

_COUNT_ROWS = """
SELECT count(*) FROM credits.transactions
WHERE $1::uuid IS NULL OR user_id = $1::uuid
"""


@dataclass(frozen=True)
class Finding:
    user_id: uuid.UUID
    problem: str

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.problem}"


@dataclass
class Report:
    balances: int = 0
    ledger_rows: int = 0
    pools: int = 0
    pool_ledger_rows: int = 0
    findings: list[Finding | PoolFinding] = field(default_factory=list)


async def verify_ledger(user_id: uuid.UUID | None = None) -> Report:
    """Check every user's ledger (or one user's) and, for everyone, every
    guild pool; read in one snapshot."""
    async with consistent_snapshot() as connection:
        report = Report()
        balances = await connection.fetch(_BALANCES, user_id)
        report.balances = len(balances)
        report.ledger_rows = await connection.fetchval(_COUNT_ROWS, user_id)
        for row in balances:
            report.findings += _balance_findings(row)
        for row in await connection.fetch(_CHAIN, user_id):
            report.findings.append(
                Finding(row["user_id"], f"ledger row {row['id']} {row['problem']}")
            )
        for row in await connection.fetch(_ORPHANS, user_id):
            report.findings.append(
                Finding(row["user_id"], "has ledger rows but no balance")
            )
        for row in await connection.fetch(_REFUNDS, user_id):
            report.findings.append(
                Finding(
                    row["user_id"],
                    f"refund {row['id']} does not mirror a completed usage "
                    "of the same user",
                )
            )
        for row in await connection.fetch(_PURCHASES, user_id):
            report.findings.append(
                Finding(
                    row["user_id"], f"purchase {row['purchase_id']} {row['problem']}"
                )
            )
        for row in await connection.fetch(_USAGE_STATS, user_id):
            report.findings.append(
                Finding(
                    row["user_id"],
                    f"usage of {row['app_id']!r} on {row['date']}: counted "
                    f"{row['counted_credits']}, ledger says {row['ledger_credits']}",
                )
            )
        if user_id is None:
            pools = await check_pools(connection)
            report.pools, report.pool_ledger_rows = pools.pools, pools.ledger_rows
            report.findings += pools.findings
    return report


def _balance_findings(row: asyncpg.Record) -> list[Finding]:
    user_id = row["user_id"]
    paid, free = row["balance"], row["free_credits_remaining"]
    problems = [
        f"{name} is negative ({row[name]})"
        for name in ("balance", "free_credits_remaining", "total_earned", "total_spent")
        if row[name] < 0
    ]
    if paid + free != row["ledger_total"]:
        problems.append(
            f"paid {paid} + free {free} = {paid + free}, "
            f"but the ledger sums to {row['ledger_total']}"
        )
    elif free != row["ledger_free"]:
        problems.append(
            f"free credits are {free}, but the ledger's free part sums to "
            f"{row['ledger_free']}"
        )
    if row["total_earned"] - row["total_spent"] != paid + free:
        problems.append(
            f"earned {row['total_earned']} - spent {row['total_spent']} "
            f"<> paid + free {paid + free}"
        )
    if row["version"] != row["ledger_version"]:
        problems.append(
            f"balance version {row['version']}, but the last ledger row has "
            f"version {row['ledger_version']}"
        )
    return [Finding(user_id, problem) for problem in problems]
