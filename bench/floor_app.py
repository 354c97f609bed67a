"""The framework floor: the least a Starlette app on uvicorn can do per
request, one JSON answer, no middleware, no database.

bench/run.py serves it with the entrypoint's uvicorn command and workers,
without an access log, and loads it like the service's routes: what the
server and framework allow on this machine in the same minutes.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def floor(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/floor", floor), Route("/health", floor)])
