"""The FastAPI floor: the framework floor with an empty FastAPI sub-app
mounted beside it, one route answering a pydantic model.

bench/run.py only starts it, with the framework floor's uvicorn command and
workers: its start → first answer is what taking FastAPI as the API layer
costs before any route or table of the service's own.
"""

from __future__ import annotations

from fastapi import FastAPI
from floor_app import floor
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Mount, Route


class Status(BaseModel):
    status: str


api = FastAPI()


@api.get("/status")
async def status() -> Status:
    return Status(status="ok")


app = Starlette(routes=[Route("/health", floor), Mount("/api", api)])
