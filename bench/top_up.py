"""Top the benchmark users' balances up through the service's own grant, so
every top-up is a ledger row that `piccolo mana verify_ledger` accepts.

    DATABASE_URL=... .venv/bin/python bench/top_up.py AMOUNT USER_ID...

Run by bench/run.py as a subprocess with the service's environment.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PARALLEL = 4


async def top_up(amount: int, user_ids: list[uuid.UUID]) -> None:
    from credit_tables.tables import TransactionType
    from mana_core_auth.credits.grants import grant
    from mana_core_auth.credits.ledger import utc_now
    from mana_core_auth.settings import get_settings
    from mana_core_auth.sql import engine

    settings = get_settings()
    db = engine()
    await db.start_connection_pool(min_size=1, max_size=PARALLEL)
    slots = asyncio.Semaphore(PARALLEL)

    async def one(user_id: uuid.UUID) -> None:
        async with slots:
            await grant(
                user_id,
                amount,
                reason="benchmark top-up",
                kind=TransactionType.adjustment,
                granted_by="bench/top_up.py",
                now=utc_now(),
                settings=settings,
            )

    try:
        await asyncio.gather(*(one(user_id) for user_id in user_ids))
    finally:
        await db.close_connection_pool()


if __name__ == "__main__":
    asyncio.run(top_up(int(sys.argv[1]), [uuid.UUID(a) for a in sys.argv[2:]]))
