"""Auth figures: the argon2id hash time, `/health` latency while logins hash
(hashing must not block the event loop), and the login timing gap between
an unknown email and a known one with a wrong password (enumeration).

    .venv/bin/python bench/auth_figures.py

Creates a throwaway database (on DATABASE_URL's server, or on the embedded
PostgreSQL), migrates it, runs the service in process and prints the
figures. Figures, not assertions: this never fails on a slow machine.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "correct-horse-battery-staple-42"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def _email() -> str:
    return f"figures-{uuid.uuid4().hex[:12]}@example.com"


async def hash_time() -> str:
    from mana_core_auth.security.passwords import hash_password

    timings = []
    for _ in range(12):
        started = time.perf_counter()
        await hash_password(PASSWORD)
        timings.append(time.perf_counter() - started)
    return f"argon2id hash (m=19 MiB, t=2, p=1): p50 {_ms(statistics.median(timings))}"


async def health_latencies(http: Any, until: asyncio.Event) -> list[float]:
    samples = []
    while not until.is_set():
        started = time.perf_counter()
        await http.get("/health")
        samples.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    return samples


async def health_while_logins_hash(http: Any, email: str) -> str:
    idle_done = asyncio.Event()
    asyncio.get_running_loop().call_later(0.3, idle_done.set)
    idle = await health_latencies(http, idle_done)
    logins_done = asyncio.Event()
    watcher = asyncio.create_task(health_latencies(http, logins_done))
    started = time.perf_counter()
    answers = await asyncio.gather(
        *(
            http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            for _ in range(20)
        )
    )
    elapsed = time.perf_counter() - started
    logins_done.set()
    busy = await watcher
    statuses = sorted({answer.status_code for answer in answers})
    return (
        f"/health p95 while 20 logins run: {_ms(_p95(busy))} ({len(busy)} "
        f"requests; idle p95 {_ms(_p95(idle))}; the 20 logins took "
        f"{_ms(elapsed)}, statuses {statuses})"
    )


async def login_timing_gap(http: Any, known_email: str) -> str:
    async def attempt(email: str) -> float:
        started = time.perf_counter()
        await http.post(
            "/api/v1/auth/login",
            json={"email": email, "password": "wrong-password-guess-1"},
        )
        return time.perf_counter() - started

    await attempt(_email())  # warm up (the dummy hash is made once)
    unknown, known = [], []
    for _ in range(15):
        unknown.append(await attempt(_email()))
        known.append(await attempt(known_email))
    gap = statistics.median(unknown) - statistics.median(known)
    return (
        f"login 401 median: unknown email {_ms(statistics.median(unknown))}, "
        f"known email with a wrong password {_ms(statistics.median(known))}; "
        f"gap {_ms(gap)}"
    )


async def figures() -> list[str]:
    import httpx
    from asgi_lifespan import LifespanManager

    from main import create_app
    from mana_core_auth.settings import Settings

    # High limits: the figures hit one account and one address many times.
    settings = Settings(
        rate_limit_login_failures_per_account=1000,
        rate_limit_login_failures_per_ip=1000,
        rate_limit_register_per_ip=1000,
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", timeout=60
        ) as http:
            email = _email()
            registered = await http.post(
                "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
            )
            registered.raise_for_status()
            return [
                await hash_time(),
                await health_while_logins_hash(http, email),
                await login_timing_gap(http, email),
            ]


def main() -> None:
    from tests.database import create_database, drop_database, migrate, server_url

    server = server_url()
    url = asyncio.run(create_database(server, prefix="mana_figures"))
    try:
        migrated = migrate(url)
        if migrated.returncode != 0:
            sys.exit(f"migrating failed:\n{migrated.stdout}{migrated.stderr}")
        os.environ["DATABASE_URL"] = url
        for line in asyncio.run(figures()):
            print(line)
    finally:
        asyncio.run(drop_database(server, url))


if __name__ == "__main__":
    main()
