from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T13:43:08:587030"
VERSION = "1.38.0"
DESCRIPTION = "compound indexes piccolo does not generate"

FORWARDS = [
    'CREATE INDEX IF NOT EXISTS usage_stats_user_id_date ON "credits"."usage_stats" (user_id, date)',
    'CREATE INDEX IF NOT EXISTS usage_stats_app_id_date ON "credits"."usage_stats" (app_id, date)',
    'CREATE INDEX IF NOT EXISTS transactions_user_id_created_at ON "credits"."transactions" (user_id, created_at DESC)',
]

BACKWARDS = [
    'DROP INDEX IF EXISTS "credits"."usage_stats_user_id_date"',
    'DROP INDEX IF EXISTS "credits"."usage_stats_app_id_date"',
    'DROP INDEX IF EXISTS "credits"."transactions_user_id_created_at"',
]


async def _run(statements: list[str]) -> None:
    engine = engine_finder()
    assert engine is not None
    for statement in statements:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="credits", description=DESCRIPTION
    )

    async def run():
        await _run(FORWARDS)

    async def run_backwards():
        await _run(BACKWARDS)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)

    return manager
