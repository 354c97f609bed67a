"""What `/ready` checks: the database answers and no migration is pending."""

from __future__ import annotations

from functools import lru_cache

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.tables import Migration

from mana_core_auth.sql import fetch_one


@lru_cache(maxsize=1)
def committed_migrations() -> frozenset[tuple[str, str]]:
    """(app name, migration id) of every migration file in the project."""
    manager = BaseMigrationManager()
    found: set[tuple[str, str]] = set()
    for app_module in manager.get_app_modules():
        config = app_module.APP_CONFIG
        modules = manager.get_migration_modules(config.resolved_migrations_folder_path)
        found.update((config.app_name, i) for i in manager.get_migration_ids(modules))
    return frozenset(found)


async def pending_migrations() -> list[str]:
    """Migration ids not yet applied, as `app:id`.

    :raises Exception: whatever the driver raises if the database is down.
    """
    has_table = await fetch_one(
        "SELECT to_regclass('public.migration') IS NOT NULL AS present"
    )
    applied: set[tuple[str, str]] = set()
    if has_table is not None and has_table["present"]:
        rows = await Migration.select(Migration.app_name, Migration.name)
        applied = {(row["app_name"], row["name"]) for row in rows}
    return sorted(f"{app}:{name}" for app, name in committed_migrations() - applied)
