"""The committed migrations read from the files are the ones Piccolo's app
registry finds, so the fast check of an up-to-date database sees every app."""

from __future__ import annotations

from pathlib import Path

from piccolo.apps.migrations.commands.base import BaseMigrationManager

from mana_core_auth.migrations.committed import (
    MIGRATION_FOLDERS,
    committed_migrations,
    migrations_folder,
)


def test_every_registered_app_and_folder_is_known() -> None:
    manager = BaseMigrationManager()
    registered = {
        module.APP_CONFIG.app_name: Path(
            module.APP_CONFIG.resolved_migrations_folder_path
        ).resolve()
        for module in manager.get_app_modules()
    }
    known = {app: migrations_folder(app).resolve() for app in MIGRATION_FOLDERS}
    assert known == registered


def test_the_ids_are_the_ones_piccolo_reads() -> None:
    manager = BaseMigrationManager()
    expected: set[tuple[str, str]] = set()
    for module in manager.get_app_modules():
        config = module.APP_CONFIG
        modules = manager.get_migration_modules(config.resolved_migrations_folder_path)
        expected.update(
            (config.app_name, migration_id)
            for migration_id in manager.get_migration_ids(modules)
        )
    assert committed_migrations() == expected
    assert {app for app, _ in expected} >= {"auth", "credits"}
