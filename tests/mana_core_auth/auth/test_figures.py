"""Figures the issue asks to report: hash time, /health latency while logins
hash, and the login timing gap between unknown and known emails. They are
printed (run with `-s`), not asserted: this machine's timing is shared."""

from __future__ import annotations

import asyncio
import statistics
import time

from mana_core_auth.security.passwords import hash_password
from tests.mana_core_auth.auth.conftest import PASSWORD, register, unique_email


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


async def test_hash_time(client) -> None:
    timings = []
    for _ in range(12):
        started = time.perf_counter()
        await hash_password(PASSWORD)
        timings.append(time.perf_counter() - started)
    print(
        f"\nargon2id hash (m=19 MiB, t=2, p=1): p50 {_ms(statistics.median(timings))}"
    )


async def _health_latencies(client, until: asyncio.Event) -> list[float]:
    samples = []
    while not until.is_set():
        started = time.perf_counter()
        response = await client.get("/health")
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
        await asyncio.sleep(0.005)
    return samples


async def test_health_stays_fast_while_twenty_logins_hash(
    client, limited_client
) -> None:
    user = await register(client)
    idle_done = asyncio.Event()
    asyncio.get_running_loop().call_later(0.3, idle_done.set)
    idle = await _health_latencies(client, idle_done)

    # Attempts count against the account's limit (10) while in flight; a
    # burst of 20 logins to one account needs a higher one.
    async with limited_client(rate_limit_login_failures_per_account=100) as http:
        logins_done = asyncio.Event()
        watcher = asyncio.create_task(_health_latencies(http, logins_done))
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(
                http.post(
                    "/api/v1/auth/login",
                    json={"email": user["email"], "password": PASSWORD},
                )
                for _ in range(20)
            )
        )
        elapsed = time.perf_counter() - started
        logins_done.set()
        busy = await watcher
    assert [response.status_code for response in responses] == [200] * 20
    print(
        f"\n/health p95 while 20 logins run: {_ms(_p95(busy))} "
        f"({len(busy)} requests; idle p95 {_ms(_p95(idle))}; "
        f"the 20 logins took {_ms(elapsed)})"
    )


async def test_login_timing_gap_unknown_vs_known_email(client, limited_client) -> None:
    known = await register(client)
    timings: dict[str, list[float]] = {"unknown": [], "known": []}
    async with limited_client(rate_limit_login_failures_per_account=1000) as http:

        async def attempt(email: str) -> float:
            started = time.perf_counter()
            response = await http.post(
                "/api/v1/auth/login",
                json={"email": email, "password": "wrong-password-guess-1"},
            )
            assert response.status_code == 401
            return time.perf_counter() - started

        await attempt(unique_email())  # warm up (the dummy hash is made once)
        for _ in range(15):
            timings["unknown"].append(await attempt(unique_email()))
            timings["known"].append(await attempt(known["email"]))
    unknown = statistics.median(timings["unknown"])
    known_median = statistics.median(timings["known"])
    print(
        f"\nlogin 401 median: unknown email {_ms(unknown)}, known email with a "
        f"wrong password {_ms(known_median)}; gap {_ms(unknown - known_median)}"
    )
