"""Event-loop CPU per register and per login, the hash left out: what keeps
the two from the hash ceiling (bench/ceilings.py), measured in a way a
shared, noisy machine does not blur.

    .venv/bin/python bench/login_cpu.py [--requests 200] [--profile]

Creates a throwaway database (on DATABASE_URL's server, or on the embedded
PostgreSQL), migrates it, runs the service in process and sends sequential
requests through httpx's ASGI transport. CPU time, not wall time: the
event loop's thread (`time.thread_time`: the service and the in-process
client, never the hashing pool's threads) and the whole process less the
CPU of as many hashes as the requests made or verified. `/health` gives the
floor the client and the framework alone cost. With `--profile`, cProfile's
top functions of the event loop's thread for each route.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "correct-horse-battery-staple-42"


class CpuPerRequest:
    def __init__(self, requests: int) -> None:
        self.requests = requests

    def __enter__(self) -> CpuPerRequest:
        self.thread = time.thread_time()
        self.process = time.process_time()
        self.wall = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop_ms = (time.thread_time() - self.thread) * 1000 / self.requests
        self.process_ms = (time.process_time() - self.process) * 1000 / self.requests
        self.wall_ms = (time.perf_counter() - self.wall) * 1000 / self.requests


async def hash_cpu_ms(samples: int) -> float:
    """Process CPU of one `hash_password` through the hashing pool."""
    from mana_core_auth.security.passwords import hash_password

    await hash_password(PASSWORD)
    with CpuPerRequest(samples) as cpu:
        for _ in range(samples):
            await hash_password(PASSWORD)
    return cpu.process_ms


async def measured(
    name: str,
    requests: int,
    send: Callable[[int], Awaitable[Any]],
    hash_ms: float,
    profile: bool,
) -> str:
    # CPU time of this thread, not wall time: waits for PostgreSQL and the
    # hashing pool are no cost here.
    profiler = cProfile.Profile(time.thread_time) if profile else None
    with CpuPerRequest(requests) as cpu:
        if profiler:
            profiler.enable()
        for i in range(requests):
            await send(i)
        if profiler:
            profiler.disable()
    if profiler:
        print(f"--- {name}: cProfile of the event loop's thread")
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(
            r"mana_core_auth/|piccolo/(query|engine|table)", 60
        )
    return (
        f"{name:9} event loop {cpu.loop_ms:5.2f} ms/request, process "
        f"{cpu.process_ms:5.2f} ms less {hash_ms:4.1f} ms hash = "
        f"{cpu.process_ms - hash_ms:5.2f} ms; wall {cpu.wall_ms:5.1f} ms"
    )


async def figures(requests: int, profile: bool) -> list[str]:
    import httpx
    from asgi_lifespan import LifespanManager

    from main import create_app
    from mana_core_auth.settings import Settings

    settings = Settings(
        rate_limit_login_failures_per_ip=10**8, rate_limit_register_per_ip=10**8
    )
    app = create_app(settings)
    # No log lines: the client's per request, the outbox's per mail.
    logging.disable(logging.INFO)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", timeout=60
        ) as http:
            run = uuid.uuid4().hex[:8]
            emails = [f"cpu-{run}-{i}@example.com" for i in range(requests)]

            async def health(_: int) -> None:
                (await http.get("/health")).raise_for_status()

            async def register(i: int) -> None:
                answer = await http.post(
                    "/api/v1/auth/register",
                    json={"email": emails[i], "password": PASSWORD, "name": "n"},
                )
                assert answer.status_code == 201, answer.text

            async def login(i: int) -> None:
                answer = await http.post(
                    "/api/v1/auth/login",
                    json={"email": emails[i], "password": PASSWORD},
                )
                assert answer.status_code == 200, answer.text

            warm_up = [f"warm-{run}-{i}@example.com" for i in range(10)]
            for email in warm_up:
                body = {"email": email, "password": PASSWORD}
                await http.post("/api/v1/auth/register", json=body)
                await http.post("/api/v1/auth/login", json=body)
            for i in range(50):
                await health(i)
            hash_ms = await hash_cpu_ms(max(20, requests // 5))
            return [
                f"{requests} sequential requests each; hashing pool: "
                f"{hash_ms:.1f} ms CPU per hash",
                await measured("health", requests, health, 0.0, False),
                await measured("register", requests, register, hash_ms, profile),
                await measured("login", requests, login, hash_ms, profile),
            ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()

    from tests.database import create_database, drop_database, migrate, server_url

    server = server_url()
    url = asyncio.run(create_database(server, prefix="mana_login_cpu"))
    try:
        migrated = migrate(url)
        if migrated.returncode != 0:
            sys.exit(f"migrating failed:\n{migrated.stdout}{migrated.stderr}")
        os.environ["DATABASE_URL"] = url
        for line in asyncio.run(figures(options.requests, options.profile)):
            print(line)
    finally:
        asyncio.run(drop_database(server, url))


if __name__ == "__main__":
    main()
