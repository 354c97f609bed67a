from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T13:52:40:127643"
VERSION = "1.38.0"
DESCRIPTION = "seed default packages on an empty table"

# 100 mana = 1 EUR. Marked {"seeded": true} so operators (and the backwards
# step) can tell them from packages made in the admin.
SEED = """
INSERT INTO credits.packages
    (name, description, credits, price_euro_cents, active, sort_order, metadata)
SELECT name, description, credits, price_euro_cents, true, sort_order,
       '{"seeded": true}'::jsonb
FROM (VALUES
    ('Starter', '500 mana for trying things out', 500, 500, 10),
    ('Standard', '1,000 mana for regular use', 1000, 1000, 20),
    ('Plus', '2,500 mana for heavy use', 2500, 2500, 30),
    ('Pro', '5,000 mana for teams and power users', 5000, 5000, 40)
) AS seed (name, description, credits, price_euro_cents, sort_order)
WHERE NOT EXISTS (SELECT FROM credits.packages)
"""

# Seeded packages nobody bought; bought ones stay for their purchases.
UNSEED = """
DELETE FROM credits.packages AS p
WHERE p.metadata @> '{"seeded": true}'::jsonb
  AND NOT EXISTS (SELECT FROM credits.purchases AS b WHERE b.package_id = p.id)
"""


async def seed_default_packages() -> None:
    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl(SEED)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="credits", description=DESCRIPTION
    )

    async def run_backwards():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(UNSEED)

    manager.add_raw(seed_default_packages)
    manager.add_raw_backwards(run_backwards)

    return manager
