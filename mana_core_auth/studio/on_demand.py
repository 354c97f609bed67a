"""The admin app, built by the first request under `/admin/` instead of at
start.

Importing Piccolo Admin and building it (22 FastAPI apps, ~300 routes and
their pydantic models) took ~0.45 s of each worker's start and ~15 MB of its
memory, for pages only operators open. The first admin request builds it
once, in a thread so that the worker's event loop keeps answering the API
meanwhile; concurrent first requests wait for that one build.
"""

from __future__ import annotations

import asyncio
import gc
import threading

from starlette.types import ASGIApp, Receive, Scope, Send

from mana_core_auth.settings import Settings

# `admin_crud()` swaps a module-level name of piccolo_admin while an admin
# is built; two apps of one process (tests build several) must not build at
# once.
_building = threading.Lock()


def _build(settings: Settings) -> ASGIApp:
    from mana_core_auth.admin import build_admin

    with _building:
        admin = build_admin(settings)
        # The admin lives as long as the process, like what main's lifespan
        # freezes: out of the collector's full scans too.
        gc.collect()
        gc.freeze()
    return admin


class AdminOnDemand:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._admin: ASGIApp | None = None
        self._lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        admin = self._admin or await self._built()
        await admin(scope, receive, send)

    async def _built(self) -> ASGIApp:
        async with self._lock:
            if self._admin is None:
                self._admin = await asyncio.to_thread(_build, self.settings)
        return self._admin
