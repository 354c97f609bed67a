"""`python -m mana_core_auth.migrations`: apply pending migrations under the
advisory lock; exits 0 on success.

With `MIGRATION_DATABASE_URL` or `DATABASE_URL` in the environment (as in a
container), an up-to-date database is recognised before anything heavier
than asyncpg is imported: that is every container start but the first. The
first, on an empty database, loads the schema snapshot, still with asyncpg
alone.
"""

import asyncio
import os
import sys

from mana_core_auth.migrations.applied import pending_at

url = os.environ.get("MIGRATION_DATABASE_URL") or os.environ.get("DATABASE_URL")
if url and not asyncio.run(pending_at(url)):
    print("No migrations to run: the database is up to date.")
    sys.exit(0)

from mana_core_auth.migrations.lock import main  # noqa: E402 (only when needed)

sys.exit(main(url))
