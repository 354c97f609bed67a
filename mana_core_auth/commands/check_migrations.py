from __future__ import annotations

import asyncio
import sys

from mana_core_auth.migrations.drift import migration_drift


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
