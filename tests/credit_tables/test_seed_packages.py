"""The data migration that seeds default packages: marked as seeded, and
only ever into an empty packages table."""

from __future__ import annotations

import importlib

from credit_tables.tables import Package

seed = importlib.import_module(
    "credit_tables.piccolo_migrations.credits_2026_11_24t13_52_40_127643"
)


async def seeded() -> list[dict]:
    return await (
        Package.select(Package.name, Package.credits, Package.price_euro_cents)
        .where(Package.metadata.arrow("seeded").eq(True))
        .order_by(Package.sort_order)
    )


async def test_the_migrated_database_has_the_default_packages(app) -> None:
    assert [
        (p["name"], p["credits"], p["price_euro_cents"]) for p in await seeded()
    ] == [
        ("Starter", 500, 500),
        ("Standard", 1000, 1000),
        ("Plus", 2500, 2500),
        ("Pro", 5000, 5000),
    ]


async def test_seeding_leaves_a_table_with_packages_alone(app) -> None:
    async with Package._meta.db.transaction() as transaction:
        before = await Package.count()
        await seed.seed_default_packages()
        assert await Package.count() == before
        await transaction.rollback()


async def test_seeding_fills_an_empty_table(app) -> None:
    async with Package._meta.db.transaction() as transaction:
        await Package.delete(force=True)
        await seed.seed_default_packages()
        assert len(await seeded()) == await Package.count() == 4
        await transaction.rollback()
