from __future__ import annotations

import asyncio
import io
import sys
from contextlib import redirect_stdout

from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.conf.apps import Finder


async def migration_drift() -> dict[str, list[str]]:
    """What `piccolo migrations new <app> --auto` would write, per app: the
    differences between each app's tables and its committed migrations."""
    drift: dict[str, list[str]] = {}
    for app_config in Finder().get_app_configs():
        if not app_config.table_classes:
            continue
        with redirect_stdout(io.StringIO()):  # the differ prints a summary
            alter_statements = await AutoMigrationManager(
                auto_input="n"
            ).get_alter_statements(app_config=app_config)
        statements = [s for group in alter_statements for s in group.statements]
        if statements:
            drift[app_config.app_name] = statements
    return drift


def check_migrations() -> None:
    """
    Exit 1 if any app's tables differ from its committed migrations
    (`piccolo migrations check` does not notice that).
    """
    drift = asyncio.run(migration_drift())
    for app_name, statements in drift.items():
        print(f"{app_name}: tables.py and migrations disagree:")
        for statement in statements:
            print(f"    {statement}")
    if drift:
        print("Run `piccolo migrations new <app> --auto`, read the file, commit it.")
        sys.exit(1)
    print("Migrations match the tables.")
