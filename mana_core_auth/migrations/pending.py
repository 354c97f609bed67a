"""What `/ready` checks: the database answers and no migration is pending."""

from __future__ import annotations

from mana_core_auth.migrations.applied import applied_migrations
from mana_core_auth.migrations.committed import committed_migrations
from mana_core_auth.sql import fetch


async def pending_migrations() -> list[str]:
    """Migration ids not yet applied, as `app:id`.

    :raises Exception: whatever the driver raises if the database is down.
    """
    applied = await applied_migrations(fetch)
    return sorted(f"{app}:{name}" for app, name in committed_migrations() - applied)
