"""Drift between the tables and the committed migrations, which `piccolo
migrations check` does not notice."""

from __future__ import annotations

import io
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
