"""What each worker does beside answering requests: listening for ended
sessions (`auth.revocation`), the periodic cleanup
(tried by every worker, done by one at a time across replicas under the
cleanup lock) and sampling its database pool for the metrics."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mana_core_auth.auth.revocation import RevocationWatch
from mana_core_auth.cleanup import clean_up
from mana_core_auth.observability import metrics
from mana_core_auth.settings import Settings

logger = logging.getLogger(__name__)

POOL_SAMPLE_SECONDS = 5.0
# A worker's shutdown waits this long for its cancelled tasks, no longer.
STOP_SECONDS = 3.0


async def _clean_up_periodically(settings: Settings) -> None:
    interval = settings.cleanup_interval_seconds
    # Workers and replicas start together; a random first wait spreads
    # their tries over the interval.
    await asyncio.sleep(random.uniform(0, interval))  # noqa: S311 (not a secret)
    while True:
        try:
            deleted = await clean_up(settings, wait=False)
        except Exception as error:
            logger.warning("cleanup failed: %s", type(error).__name__)
        else:
            if deleted is not None:
                logger.info(
                    "cleanup deleted %s",
                    ", ".join(
                        f"{count} from {table}" for table, count in deleted.items()
                    ),
                )
        await asyncio.sleep(interval)


async def _sample_pool(engine: Any) -> None:
    while True:
        metrics.sample_pool(engine.pool)
        await asyncio.sleep(POOL_SAMPLE_SECONDS)


@asynccontextmanager
async def background_work(
    settings: Settings, engine: Any, revocations: RevocationWatch | None = None
) -> AsyncIterator[None]:
    """Run the worker's background tasks while the app serves."""
    tasks = []
    if revocations is not None:
        tasks.append(asyncio.create_task(revocations.run()))
    if settings.cleanup_interval_seconds > 0:
        tasks.append(asyncio.create_task(_clean_up_periodically(settings)))
    if settings.serves_metrics:
        metrics.forget_dead_workers()
        metrics.sample_pool(getattr(engine, "pool", None))
        tasks.append(asyncio.create_task(_sample_pool(engine)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        if tasks:
            _, still_running = await asyncio.wait(tasks, timeout=STOP_SECONDS)
            for task in still_running:
                logger.warning("background task %s did not stop", task.get_coro())
        metrics.worker_exiting()
