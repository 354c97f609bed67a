"""Stripe webhook latency under concurrent deliveries.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/webhook.py [--deliveries 1600] [--concurrency 16]

Creates a fresh database (on DATABASE_URL's server, or the embedded
PostgreSQL), migrates it, makes users with balances and one pending
purchase per delivery, starts uvicorn on 127.0.0.1 (port 18580 unless
--port) with a webhook secret, and sends signed events from `concurrency`
connections:

- `completed`: each delivery completes its own purchase (event recorded,
  purchase and balance locked, one ledger row);
- `redelivered`: the same events again (found recorded, nothing changes).

Prints p50/p99 per scenario, then checks that the ledger has one purchase
row per purchase and `piccolo mana verify_ledger` finds nothing. A fixed
number of requests, each sent once: the load stops by itself. The client
runs on the same cores as the server and PostgreSQL: the figures compare
changes on one machine, they are not capacity figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.database import (  # noqa: E402
    create_database,
    drop_database,
    migrate,
    piccolo,
    server_url,
)
from tests.deploy.support import app_env  # noqa: E402

SECRET = "whsec_bench_" + uuid.uuid4().hex
USERS = 100


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "uvicorn"), "main:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += ["--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            ready = f"http://127.0.0.1:{port}/ready"
            with urllib.request.urlopen(ready, timeout=1) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit("the server exited before /ready")
        time.sleep(0.05)
    stop_server(process)
    raise SystemExit("no /ready within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def signed(body: str) -> dict[str, str]:
    timestamp = int(time.time())
    mac = hmac.new(
        SECRET.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256
    ).hexdigest()
    return {
        "Stripe-Signature": f"t={timestamp},v1={mac}",
        "Content-Type": "application/json",
    }


async def prepare(url: str, deliveries: int) -> list[str]:
    """Users with balances and one pending purchase per delivery; the
    completed-session events for them."""
    connection = await asyncpg.connect(url)
    try:
        package = await connection.fetchrow(
            "SELECT id, credits, price_euro_cents FROM credits.packages "
            "ORDER BY sort_order LIMIT 1"
        )
        users = [uuid.uuid4() for _ in range(USERS)]
        await connection.executemany(
            "INSERT INTO auth.users (id, email) VALUES ($1, $2)",
            [(u, f"bench-{u.hex[:12]}@example.com") for u in users],
        )
        await connection.executemany(
            "INSERT INTO credits.balances (user_id, balance, free_credits_remaining,"
            " version) VALUES ($1, 0, 0, 0)",
            [(u,) for u in users],
        )
        purchases = [
            (uuid.uuid4(), users[i % USERS], f"cs_bench_{uuid.uuid4().hex}")
            for i in range(deliveries)
        ]
        await connection.executemany(
            "INSERT INTO credits.purchases (id, user_id, package_id, credits,"
            " price_euro_cents, stripe_checkout_session_id) VALUES ($1, $2, $3, $4,"
            " $5, $6)",
            [
                (
                    p,
                    u,
                    package["id"],
                    package["credits"],
                    package["price_euro_cents"],
                    s,
                )
                for p, u, s in purchases
            ],
        )
    finally:
        await connection.close()
    return [
        json.dumps(
            {
                "id": f"evt_{uuid.uuid4().hex}",
                "object": "event",
                "type": "checkout.session.completed",
                "created": int(time.time()),
                "data": {
                    "object": {
                        "id": session,
                        "object": "checkout.session",
                        "client_reference_id": str(user),
                        "metadata": {
                            "userId": str(user),
                            "packageId": str(package["id"]),
                            "purchaseId": str(purchase),
                        },
                        "payment_intent": f"pi_{uuid.uuid4().hex}",
                        "payment_status": "paid",
                        "amount_total": package["price_euro_cents"],
                    }
                },
            }
        )
        for purchase, user, session in purchases
    ]


async def load(
    base: str, bodies: list[str], concurrency: int
) -> tuple[list[float], dict[int, int], float]:
    """Send every body once from `concurrency` connections; latencies in ms."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            started = time.perf_counter()
            response = await client.post(
                "/api/v1/webhooks/stripe", content=body, headers=signed(body)
            )
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return latencies, statuses, seconds


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def count_purchase_rows(url: str) -> tuple[int, int]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetchval(
            "SELECT count(*) FROM credits.transactions WHERE type = 'purchase'"
        )
        completed = await connection.fetchval(
            "SELECT count(*) FROM credits.purchases WHERE status = 'completed'"
        )
    finally:
        await connection.close()
    return rows, completed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=1600)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18580)
    args = parser.parse_args()

    server = server_url()
    url = asyncio.run(create_database(server, prefix="mana_bench_webhook"))
    process = None
    try:
        result = migrate(url)
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        bodies = asyncio.run(prepare(url, args.deliveries))
        env = app_env(
            ENVIRONMENT="test",
            DATABASE_URL=url,
            STRIPE_WEBHOOK_SECRET=SECRET,
            LOG_LEVEL="warning",
        )
        process = start_server(env, args.port, args.workers)
        base = f"http://127.0.0.1:{args.port}"
        print(
            f"webhook, {args.deliveries} deliveries per scenario at "
            f"{args.concurrency} concurrent, {args.workers} uvicorn workers, "
            f"{os.cpu_count()} CPUs"
        )
        print("| scenario | req/s | p50 ms | p99 ms | max ms | statuses |")
        print("|---|---|---|---|---|---|")
        for scenario in ("completed", "redelivered"):
            latencies, statuses, seconds = asyncio.run(
                load(base, bodies, args.concurrency)
            )
            print(
                f"| {scenario} | {len(latencies) / seconds:.0f} "
                f"| {statistics.median(latencies):.1f} "
                f"| {percentile(latencies, 0.99):.1f} | {max(latencies):.1f} "
                f"| {dict(sorted(statuses.items()))} |"
            )
        rows, completed = asyncio.run(count_purchase_rows(url))
        print(f"purchase ledger rows {rows} for {completed} completed purchases")
        check = piccolo("mana", "verify_ledger", database_url=url, check=False)
        print(check.stdout.strip().splitlines()[-1] if check.stdout else check.stderr)
    finally:
        if process is not None:
            stop_server(process)
        asyncio.run(drop_database(server, url))


if __name__ == "__main__":
    main()
