"""What metrics (and the JSON request log) cost in throughput.

    .venv/bin/python bench/metrics_cost.py [--duration 10] [--workers 2]

One fresh database (on DATABASE_URL's server, or the embedded PostgreSQL),
users registered once; then for each variant the service is started anew
(uvicorn, production settings, a fresh PROMETHEUS_MULTIPROC_DIR) and wrk
runs `validate` and `use` (200 users, a new idempotency key per request)
for a fixed time:

- metrics off      METRICS_ENABLED=false, REQUEST_LOG=false
- metrics on       METRICS_ENABLED=true,  REQUEST_LOG=false
- on + JSON log    METRICS_ENABLED=true,  REQUEST_LOG=true (the log to a file)
- metrics off      again, last: the spread between the two "off" runs is the
                   noise of this machine

Figures, not assertions. On a small shared machine wrk, PostgreSQL and the
server share the cores: compare the rows with each other, not with other
machines.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import run as base  # noqa: E402

from tests.database import create_database, drop_database, server_url  # noqa: E402
from tests.ports import APP_PORTS, loopback_port  # noqa: E402

VARIANTS = (
    ("metrics off", {"METRICS_ENABLED": "false", "REQUEST_LOG": "false"}),
    ("metrics on", {"METRICS_ENABLED": "true", "REQUEST_LOG": "false"}),
    ("on + JSON log", {"METRICS_ENABLED": "true", "REQUEST_LOG": "true"}),
    ("metrics off (again)", {"METRICS_ENABLED": "false", "REQUEST_LOG": "false"}),
)


def start(
    env: dict[str, str], port: int, workers: int, log: Path, metrics_dir: str
) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "uvicorn"),
        "main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "info",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=BENCH.parent,
            env={**env, "PROMETHEUS_MULTIPROC_DIR": metrics_dir},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/ready", timeout=1
            ) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"the server exited; see {log}")
        time.sleep(0.05)
    raise SystemExit("no /ready within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=200)
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    server = server_url()
    url = asyncio.run(create_database(server, prefix="mana_bench_metrics"))
    key = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mana_core_auth.security.keys import *; "
            "print(private_key_pem(generate_private_key('EdDSA')).decode())",
        ],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "production",
        "ADMIN_ALLOWED_HOSTS": "127.0.0.1",
        "JWT_PRIVATE_KEY": key,
        "TOTP_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "JWT_ACCESS_TOKEN_TTL_SECONDS": "7200",
        "RATE_LIMIT_REGISTER_PER_IP": "100000000",
        "RATE_LIMIT_LOGIN_FAILURES_PER_IP": "100000000",
        "CLEANUP_INTERVAL_SECONDS": "0",
    }
    work = Path(tempfile.mkdtemp(prefix="mana-bench-"))
    users_file = work / "users.tsv"
    rows: list[dict] = []
    try:
        subprocess.run(
            [sys.executable, "-m", "mana_core_auth.migrations"],
            cwd=BENCH.parent,
            env=env,
            check=True,
            capture_output=True,
        )
        run_id = uuid.uuid4().hex[:8]
        for index, (name, settings) in enumerate(VARIANTS):
            port = loopback_port(APP_PORTS)
            base_url = f"http://127.0.0.1:{port}/api/v1"
            log = work / f"server-{index}.log"
            metrics_dir = tempfile.mkdtemp(prefix="mana-bench-metrics-")
            process = start(
                {**env, **settings}, port, options.workers, log, metrics_dir
            )
            try:
                if index == 0:
                    users = base.prepare_users(
                        base_url, options.users, run_id, users_file
                    )
                    base.top_up(url, [user[2] for user in users])
                meter = base.CpuMeter({"server": process.pid})
                for scenario, script, args in (
                    ("validate", "validate.lua", [str(users_file)]),
                    ("use", "use.lua", [str(users_file), "many", f"{run_id}{index}"]),
                ):
                    record, shares = base.wrk(
                        script,
                        base_url,
                        args,
                        connections=options.connections,
                        duration=options.duration,
                        meter=meter,
                    )
                    result = base.to_result(scenario, record, shares)
                    rows.append(
                        {
                            "variant": name,
                            "scenario": scenario,
                            "rps": result.rps,
                            "p50": result.p50,
                            "p99": result.p99,
                            "errors": result.errors,
                            "cpu": result.cpu.get("server", 0.0),
                        }
                    )
                    time.sleep(1)
            finally:
                base.stop_server(process)
                shutil.rmtree(metrics_dir, ignore_errors=True)
        ledger = base.ledger_check(url)
    finally:
        asyncio.run(drop_database(server, url))

    print(
        f"\nmetrics cost, {options.workers} workers, c={options.connections}, "
        f"{options.duration} s per run (a shared 2-core machine: wrk, PostgreSQL "
        "and the server share it; read the two 'off' rows as the noise)\n"
    )
    print(
        "| scenario | variant | req/s | vs off | p50 ms | p99 ms | errors "
        "| server CPU % |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for scenario in ("validate", "use"):
        offs = [
            r["rps"]
            for r in rows
            if r["scenario"] == scenario and r["variant"].startswith("metrics off")
        ]
        off = sum(offs) / len(offs)
        for r in (r for r in rows if r["scenario"] == scenario):
            change = 100 * (r["rps"] - off) / off
            print(
                f"| {scenario} | {r['variant']} | {r['rps']:.0f} | {change:+.1f}% "
                f"| {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} | {r['cpu']:.0f} |"
            )
    print(f"\nledger check after the runs: {ledger}")


if __name__ == "__main__":
    main()
