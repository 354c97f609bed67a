from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T13:52:38:415156"
VERSION = "1.38.0"
DESCRIPTION = "backfill free_amount and balance_version of existing rows"

# Before this, only signup bonuses (free credits) were written. Number each
# user's completed rows in order and make the balance's version the last one.
FORWARDS = [
    """
    UPDATE credits.transactions SET free_amount = amount
    WHERE type = 'bonus' AND status = 'completed' AND free_amount = 0
    """,
    """
    UPDATE credits.transactions AS t SET balance_version = n.position
    FROM (
        SELECT id, row_number() OVER (
            PARTITION BY user_id ORDER BY created_at, id
        ) AS position
        FROM credits.transactions
        WHERE status = 'completed'
    ) AS n
    WHERE t.id = n.id AND t.balance_version IS NULL
    """,
    """
    UPDATE credits.balances AS b SET version = coalesce(
        (SELECT max(balance_version) FROM credits.transactions AS t
         WHERE t.user_id = b.user_id),
        0
    )
    """,
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="credits", description=DESCRIPTION
    )

    async def run():
        engine = engine_finder()
        assert engine is not None
        for statement in FORWARDS:
            await engine.run_ddl(statement)

    async def run_backwards():
        pass  # the columns keep their values until the previous migration drops them

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)

    return manager
