"""CPU per request, by where it is spent, in the service as the entrypoint
starts it: the workers' event-loop threads, their other threads (the
password-hashing pool), and PostgreSQL. What keeps login and registration
from the hash ceiling, in a figure that a shared machine's other load
moves much less than req/s.

    .venv/bin/python bench/thread_cpu.py [login register ...] [--duration 10]

Creates a throwaway database (on DATABASE_URL's server, or on the embedded
PostgreSQL), starts `docker-entrypoint.sh` with bench/run.py's production
settings and 2 workers, registers 60 users, then runs wrk for each
scenario and reads every worker thread's CPU from /proc before and after.
It prints, per successful request, the CPU of each side and the hash
ceiling's time of one hash measured just before, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import ceilings  # noqa: E402
import run  # noqa: E402

from tests.database import create_database, drop_database, server_url  # noqa: E402

PORT = 18450
WORKERS = 2
USERS = 60


def thread_cpu(workers: list[int]) -> dict[tuple[int, int], float]:
    """CPU seconds of every thread of the workers, by (worker, thread id)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for worker in workers:
        for thread in os.listdir(f"/proc/{worker}/task"):
            try:
                stat = Path(f"/proc/{worker}/task/{thread}/stat").read_text()
            except FileNotFoundError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            found[(worker, int(thread))] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def measure(
    scenario: str,
    base: str,
    users: Path,
    server_pid: int,
    pg_pid: int | None,
    duration: int,
) -> str:
    hash_ms = ceilings.hash_ceiling(os.cpu_count() or 2).seconds_per_hash * 1000
    workers = run.worker_pids(server_pid)
    postgres = run.tree(pg_pid) if pg_pid else []
    threads_before = thread_cpu(workers)
    pg_before = sum(run.cpu_seconds(pid) for pid in postgres)
    started = time.monotonic()
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            "16",
            "-d",
            f"{duration}s",
            "--timeout",
            "30s",
            "-s",
            str(run.LUA / f"{scenario}.lua"),
            base,
            "--",
            str(users),
        ],
        env={**os.environ, "BENCH_LUA": str(run.LUA)},
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    ).stdout
    wall = time.monotonic() - started
    threads_after = thread_cpu(workers)
    pg_used = (
        sum(run.cpu_seconds(pid) for pid in run.tree(pg_pid)) - pg_before
        if pg_pid
        else 0.0
    )
    record = json.loads(
        next(line for line in output.splitlines() if line.startswith("BENCHJSON "))[9:]
    )
    ok = sum(n for status, n in record["status"].items() if status.startswith("2"))
    used = {
        key: now - threads_before.get(key, 0.0) for key, now in threads_after.items()
    }
    loop = sum(cpu for (worker, thread), cpu in used.items() if worker == thread)
    other = sum(cpu for (worker, thread), cpu in used.items() if worker != thread)

    def per_request(seconds: float) -> str:
        return f"{seconds / max(ok, 1) * 1000:5.2f} ms"

    return (
        f"{scenario:9} {ok / wall:6.1f} req/s; per request: event loops "
        f"{per_request(loop)}, other threads {per_request(other)}, PostgreSQL "
        f"{per_request(pg_used)}, the machine's 2 cores {per_request(2 * wall)}; "
        f"one hash alone {hash_ms:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["login", "register"])
    parser.add_argument("--duration", type=int, default=10)
    options = parser.parse_args()
    server = server_url()
    url = asyncio.run(create_database(server, prefix="mana_bench_threads"))
    env = run.production_env(url)
    log = Path(tempfile.mkdtemp(prefix="thread-cpu-")) / "service.log"
    service = run.start_service(env, PORT, WORKERS, log)
    base = f"http://127.0.0.1:{PORT}/api/v1"
    try:
        users = log.parent / "users.tsv"
        run.prepare_users(base, USERS, f"threads{int(time.time())}", users)
        for scenario in options.scenarios:
            print(
                measure(
                    scenario,
                    base,
                    users,
                    service.process.pid,
                    run.postmaster_pid(url),
                    options.duration,
                ),
                flush=True,
            )
    finally:
        run.stop_server(service.process)
        asyncio.run(drop_database(server, url))


if __name__ == "__main__":
    main()
