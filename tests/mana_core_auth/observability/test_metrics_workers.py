"""`piccolo mana serve --workers=2` as in production: `/metrics` adds up
both workers whichever answers, keeps a dead worker's counts but not its
pool, and the workers' log lines are JSON, one per request, with the
proxy's request id and client address."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.support import ROOT, Server, app_env, start
from tests.mana_core_auth.observability.conftest import parse, value
from tests.ports import APP_PORTS, loopback_port

TOKEN = "scrape-token-for-the-workers-test"
POOL_MAX = 7
HEALTH = {"method": "GET", "route": "/health", "status": "200"}


@pytest.fixture(scope="module")
def served(database_url: str) -> Iterator[Server]:
    port = loopback_port(APP_PORTS)
    env = app_env(
        DATABASE_URL=database_url,
        METRICS_ENABLED="true",
        METRICS_TOKEN=TOKEN,
        DATABASE_POOL_MAX=str(POOL_MAX),
    )
    command = [sys.executable, "-c", "from piccolo.main import main; main()"]
    command += ["mana", "serve", f"--port={port}", "--workers=2"]
    server = start(command, env=env, port=port, cwd=ROOT)
    try:
        server.wait_ready()
        # The first worker answers while the second may still be starting;
        # each samples its pool for the gauge when its startup completes.
        deadline = time.monotonic() + 30
        while server.output.count("Application startup complete") < 2:
            assert time.monotonic() < deadline, "the second worker never started"
            time.sleep(0.05)
        yield server
    finally:
        server.stop()


def fresh_connection(server: Server) -> httpx.Client:
    """Every request on a new connection, so the kernel spreads them over
    both workers."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(base_url=server.url(""), limits=limits, timeout=10)


def scrape(http: httpx.Client) -> dict:
    response = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return parse(response.text)


def workers(server: Server) -> list[int]:
    """uvicorn's worker processes: the children of the serving process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if parent == server.process.pid and b"resource_tracker" not in command:
            found.append(int(entry.name))
    return found


def test_metrics_add_up_every_worker(served: Server) -> None:
    with fresh_connection(served) as http:
        before = value(scrape(http), "mana_http_requests_total", **HEALTH)
        for _ in range(30):
            assert http.get("/health").status_code == 200
        scrapes = [scrape(http) for _ in range(6)]
        assert http.get("/metrics").status_code == 401  # no token
    for samples in scrapes:
        assert value(samples, "mana_http_requests_total", **HEALTH) == before + 30
        assert value(samples, "mana_db_pool_connections", state="max") == 2 * POOL_MAX


def test_a_dead_workers_counts_stay_and_its_pool_goes(served: Server) -> None:
    with fresh_connection(served) as http:
        for _ in range(10):
            http.get("/health")
        before = value(scrape(http), "mana_http_requests_total", **HEALTH)
        victim = workers(served)[0]
        started = served.output.count("Application startup complete")
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60  # bounded: uvicorn starts a new worker
        while time.monotonic() < deadline:
            if served.output.count("Application startup complete") > started:
                break
            time.sleep(0.2)
        assert victim not in workers(served) and len(workers(served)) == 2
        samples = scrape(http)
    assert value(samples, "mana_http_requests_total", **HEALTH) >= before
    assert value(samples, "mana_db_pool_connections", state="max") == 2 * POOL_MAX


def test_workers_log_json_lines_with_the_proxys_request_id(served: Server) -> None:
    with fresh_connection(served) as http:
        answer = http.get(
            "/health",
            headers={"X-Request-ID": "lb-req-1", "X-Forwarded-For": "198.51.100.7"},
        )
    assert answer.headers["x-request-id"] == "lb-req-1"
    deadline = time.monotonic() + 10
    while '"lb-req-1"' not in served.output and time.monotonic() < deadline:
        time.sleep(0.1)
    worker_lines = [line for line in served.lines if line.startswith("{")]
    entries = [json.loads(line) for line in worker_lines]
    (line,) = [e for e in entries if e.get("request_id") == "lb-req-1"]
    assert line["route"] == "/health" and line["client_ip"] == "198.51.100.7"
    assert any(e["message"].startswith("Started server process") for e in entries)
    # uvicorn's own access lines are off while the service logs requests.
    assert '"GET /health HTTP/1.1" 200' not in served.output
