"""Load benchmark: the service on loopback against a fresh database.

    .venv/bin/python bench/run.py [--duration 15] [--connections 16] [--workers N]

Creates a database (on DATABASE_URL's server, or on the embedded PostgreSQL),
times `forwards all` on it empty and again with nothing to do, starts uvicorn
and times process start -> `/ready`, registers and logs in users through the
API, tops their balances up, then runs each scenario with wrk for a fixed time
and prints one table beside the original service's figures. The spending
scenarios end with the ledger check. A pgbench run of the same debit (UPDATE
+ INSERT in one transaction) gives the database's own ceiling.

Every load runs on 127.0.0.1 with a fixed duration; nothing is retried
without bound. Figures, not assertions: this never fails on a slow machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.database import create_database, drop_database, server_url  # noqa: E402

LUA = Path(__file__).resolve().parent / "lua"
PGBENCH = Path(__file__).resolve().parent / "pgbench"
PASSWORD = "BenchPass123!"
TOP_UP = 10_000_000

# The original service at 16 connections (../shared/bench/PEER_RESULTS.md):
# requests/s and p99 ms.
ORIGINAL = {
    "register": (6.5, 4405.0),
    "login": (7.2, 2236.0),
    "validate": (1694.0, 16.8),
    "balance": (879.0, 28.0),
    "use-many": (465.0, 53.8),
    "use-single": (312.0, 224.0),
    "refresh": (None, None),
}
ORIGINAL_STARTUP_S = 0.51
ORIGINAL_MIGRATE_S = 1.0
TARGET_FACTOR = {
    "register": 8,
    "login": 8,
    "validate": 1.5,
    "balance": 2,
    "use-many": 2,
    "use-single": 2,
}


# --------------------------------------------------------------------- /proc
def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def tree(pid: int) -> list[int]:
    pids = [pid]
    for child in children(pid):
        pids.extend(tree(child))
    return pids


def peak_rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0.0
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


class CpuMeter:
    """CPU seconds used by process trees between start() and stop()."""

    def __init__(self, roots: dict[str, int | None]) -> None:
        self.roots = roots

    def _sample(self) -> dict[str, dict[int, float]]:
        return {
            name: {p: cpu_seconds(p) for p in tree(root)} if root else {}
            for name, root in self.roots.items()
        }

    def start(self) -> None:
        self.before = self._sample()
        self.started = time.monotonic()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        wall = time.monotonic() - self.started
        shares = {}
        for name, processes in after.items():
            used = sum(
                max(0.0, now - self.before[name].get(pid, 0.0))
                for pid, now in processes.items()
            )
            shares[name] = round(100 * used / wall, 1)
        return shares


# --------------------------------------------------------------------- HTTP
def call(
    base: str, method: str, path: str, body: object = None, token: str | None = None
) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------- database
async def sql(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


async def sql_script(url: str, script: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(script)
    finally:
        await connection.close()


def parent_pid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def postmaster_pid(url: str) -> int | None:
    """The local postmaster's pid (the parent of our backend), if local."""

    async def parent_of_backend() -> int | None:
        connection = await asyncpg.connect(url)
        try:
            # Read while connected: the backend exits with the connection.
            return parent_pid(await connection.fetchval("SELECT pg_backend_pid()"))
        finally:
            await connection.close()

    return asyncio.run(parent_of_backend())


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def top_up(url: str, user_ids: list[str]) -> None:
    """Give every user TOP_UP paid credits, with the ledger row that says so."""
    asyncio.run(
        sql(
            url,
            """
            WITH topped AS (
                UPDATE credits.balances
                SET balance = balance + $2, total_earned = total_earned + $2
                WHERE user_id = ANY($1::uuid[])
                RETURNING user_id, balance + free_credits_remaining AS after
            )
            INSERT INTO credits.transactions (user_id, type, status, amount,
                balance_before, balance_after, description, completed_at)
            SELECT user_id, 'adjustment', 'completed', $2, after - $2, after,
                   'benchmark top-up', now()
            FROM topped
            """,
            user_ids,
            TOP_UP,
        )
    )


def ledger_check(url: str) -> dict[str, int]:
    """Users whose balance differs from their completed ledger sum, and
    idempotency keys used twice by one user."""
    rows = asyncio.run(
        sql(
            url,
            """
            SELECT
              (SELECT count(*) FROM credits.balances b
               WHERE b.balance + b.free_credits_remaining <> COALESCE((
                 SELECT sum(t.amount) FROM credits.transactions t
                 WHERE t.user_id = b.user_id AND t.status = 'completed'), 0)
              ) AS mismatched_users,
              (SELECT count(*) FROM (
                 SELECT user_id, idempotency_key FROM credits.transactions
                 WHERE idempotency_key IS NOT NULL
                 GROUP BY 1, 2 HAVING count(*) > 1) d
              ) AS double_spends,
              (SELECT count(*) FROM credits.transactions
               WHERE type = 'usage') AS usage_rows
            """,
        )
    )
    return dict(rows[0])


# --------------------------------------------------------------------- scenarios
@dataclass
class Result:
    scenario: str
    rps: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    errors: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    note: str = ""


def wrk(
    script: str,
    base: str,
    args: list[str],
    *,
    connections: int,
    duration: int,
    meter: CpuMeter,
) -> tuple[dict, dict[str, float]]:
    command = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA / script),
        base,
        "--",
        *args,
    ]
    meter.start()
    output = subprocess.run(
        command,
        env={**os.environ, "BENCH_LUA": str(LUA)},
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    ).stdout
    shares = meter.stop()
    for line in output.splitlines():
        if line.startswith("BENCHJSON "):
            return json.loads(line.removeprefix("BENCHJSON ")), shares
    raise RuntimeError(f"wrk printed no BENCHJSON line:\n{output}")


def to_result(scenario: str, record: dict, shares: dict[str, float]) -> Result:
    statuses = record["status"]
    ok = sum(v for k, v in statuses.items() if k.startswith("2"))
    counted = sum(v for k, v in statuses.items() if k.isdigit())
    return Result(
        scenario=scenario,
        rps=record["rps"],
        p50=record["lat_ms"]["p50"],
        p99=record["lat_ms"]["p99"],
        errors=counted - ok + record["socket_errors"],
        cpu=shares,
    )


def pgbench(url: str, script: str, *, connections: int, duration: int) -> float:
    if not shutil.which("pgbench"):
        return 0.0
    asyncio.run(sql_script(url, (PGBENCH / "setup.sql").read_text()))
    output = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(connections),
            "-j",
            "2",
            "-T",
            str(duration),
            "-f",
            str(PGBENCH / script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    ).stdout
    asyncio.run(sql_script(url, "DROP SCHEMA pgb CASCADE"))
    match = re.search(r"tps = ([\d.]+)", output)
    return float(match.group(1)) if match else 0.0


def pgbench_url(url: str) -> str:
    """pgbench (libpq) takes the embedded server's socket URI as it is."""
    return url


# --------------------------------------------------------------------- run
def prepare_users(base: str, count: int, run_id: str, out: Path) -> list[list[str]]:
    def one(i: int) -> list[str]:
        email = f"prep-{run_id}-{i}@bench.example.com"
        status, _ = call(
            base, "POST", "/auth/register", {"email": email, "password": PASSWORD}
        )
        assert status == 201, status
        status, body = call(
            base, "POST", "/auth/login", {"email": email, "password": PASSWORD}
        )
        assert status == 200, (status, body)
        return [
            email,
            PASSWORD,
            body["user"]["id"],
            body["accessToken"],
            body["refreshToken"],
        ]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        rows = list(pool.map(one, range(count)))
    out.write_text("".join("\t".join(row) + "\n" for row in rows))
    return rows


def create_service_key(env: dict[str, str]) -> str:
    """A service key with `credits:spend`, made as an operator makes it
    (printed on the command's last line)."""
    output = subprocess.run(
        [
            str(Path(sys.executable).parent / "piccolo"),
            "mana",
            "create_api_key",
            "--name=bench",
            "--scopes=credits:spend",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return output.strip().splitlines()[-1]


def start_server(
    env: dict[str, str], port: int, workers: int
) -> tuple[subprocess.Popen, float]:
    command = [
        str(Path(sys.executable).parent / "uvicorn"),
        "main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = started + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/ready", timeout=1
            ) as r:
                if r.status == 200:
                    return process, time.monotonic() - started
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit("the server exited before /ready")
        time.sleep(0.005)
    raise SystemExit("no /ready within 60 s")


def worker_pids(server_pid: int) -> list[int]:
    """uvicorn's worker processes (or the server itself with one worker)."""
    workers = [
        pid
        for pid in children(server_pid)
        if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    return workers or [server_pid]


def start_profilers(
    server_pid: int, directory: Path, scenario: str, duration: int
) -> list[subprocess.Popen]:
    """py-spy on every worker for the scenario's duration, collapsed stacks
    (one line per stack with its sample count) in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--format",
                "raw",
                "--nonblocking",
                "-d",
                str(duration),
                "-o",
                str(directory / f"{scenario}-{pid}.txt"),
                "-p",
                str(pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in worker_pids(server_pid)
    ]


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def format_table(results: list[Result], extras: dict[str, str]) -> str:
    lines = [
        "| scenario (c=16) | req/s | original | × | target | p50 ms | p99 ms "
        "| original p99 | errors | CPU % server / pg |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        original_rps, original_p99 = ORIGINAL.get(r.scenario, (None, None))
        ratio = f"{r.rps / original_rps:.1f}" if original_rps else "—"
        target = (
            f"≥{TARGET_FACTOR[r.scenario]}×" if r.scenario in TARGET_FACTOR else "—"
        )
        lines.append(
            f"| {r.scenario} | {r.rps:.1f} | {original_rps or '—'} | {ratio} "
            f"| {target} | {r.p50:.1f} | {r.p99:.1f} | {original_p99 or '—'} "
            f"| {r.errors} "
            f"| {r.cpu.get('server', 0):.0f} / {r.cpu.get('postgres', 0):.0f} |"
            + (f" {r.note}" if r.note else "")
        )
    lines.append("")
    lines.extend(f"- {key}: {value}" for key, value in extras.items())
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", len(os.sched_getaffinity(0)))),
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument(
        "--scenarios",
        default="register,login,validate,balance,use-many,use-many-key,use-single,"
        "refresh",
    )
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument(
        "--profile",
        type=Path,
        help="write py-spy collapsed stacks of each worker per scenario here",
    )
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    server = server_url()
    url = asyncio.run(create_database(server, prefix="mana_bench"))
    key = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mana_core_auth.security.keys import *; "
            "print(private_key_pem(generate_private_key('EdDSA')).decode())",
        ],
        cwd=ROOT,
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
        # Tokens must outlive the run, as in the original's measurement.
        "JWT_ACCESS_TOKEN_TTL_SECONDS": "7200",
        "RATE_LIMIT_REGISTER_PER_IP": "100000000",
        "RATE_LIMIT_LOGIN_FAILURES_PER_IP": "100000000",
    }
    extras: dict[str, str] = {}
    results: list[Result] = []
    process = None
    try:
        migrate = [sys.executable, "-m", "mana_core_auth.migrations"]
        extras["empty database → migrated"] = (
            f"{timed(migrate, env):.2f} s "
            f"(original {ORIGINAL_MIGRATE_S} s, target ≤ 1.5 s)"
        )
        extras["`forwards all` with nothing to do"] = f"{timed(migrate, env):.2f} s"

        port = free_port()
        base = f"http://127.0.0.1:{port}/api/v1"
        process, startup = start_server(env, port, options.workers)
        extras["process start → /ready"] = (
            f"{startup:.2f} s with {options.workers} worker(s) "
            f"(original {ORIGINAL_STARTUP_S} s, target ≤ 1.5 s)"
        )
        meter = CpuMeter({"server": process.pid, "postgres": postmaster_pid(url)})

        run_id = uuid.uuid4().hex[:8]
        users_file = Path(tempfile.mkdtemp()) / "users.tsv"
        started = time.monotonic()
        rows = prepare_users(base, options.users, run_id, users_file)
        extras["prepare"] = (
            f"{len(rows)} users registered and logged in "
            f"in {time.monotonic() - started:.1f} s"
        )
        top_up(url, [row[2] for row in rows])
        service_key = create_service_key(env)

        scenarios = options.scenarios.split(",")
        args = {
            "register": ("register.lua", [run_id]),
            "login": ("login.lua", [str(users_file)]),
            "validate": ("validate.lua", [str(users_file)]),
            "balance": ("balance.lua", [str(users_file)]),
            "use-many": ("use.lua", [str(users_file), "many", f"{run_id}m"]),
            "use-many-key": (
                "use.lua",
                [str(users_file), "many", f"{run_id}k", service_key],
            ),
            "use-single": ("use.lua", [str(users_file), "single", f"{run_id}s"]),
            "refresh": ("refresh.lua", [str(users_file), "2"]),
        }
        for scenario in scenarios:
            script, script_args = args[scenario]
            before = None
            if scenario == "use-single":
                before = call(base, "GET", "/credits/balance", token=rows[0][3])[1]
            profilers = (
                start_profilers(
                    process.pid, options.profile, scenario, options.duration
                )
                if options.profile
                else []
            )
            record, shares = wrk(
                script,
                base,
                script_args,
                connections=options.connections,
                duration=options.duration,
                meter=meter,
            )
            for profiler in profilers:
                profiler.wait(60)
            result = to_result(scenario, record, shares)
            if scenario == "use-single" and before:
                time.sleep(1)
                after = call(base, "GET", "/credits/balance", token=rows[0][3])[1]
                debited = (before["balance"] + before["freeCreditsRemaining"]) - (
                    after["balance"] + after["freeCreditsRemaining"]
                )
                seen = record["status"].get("201", 0)
                result.note = f"(debited {debited}, clients saw {seen} × 201)"
            if scenario == "validate":
                result.note = f"({record['status'].get('valid_true', 0)} valid:true)"
            results.append(result)
            if scenario.startswith("use"):
                extras[f"ledger check after {scenario}"] = json.dumps(ledger_check(url))
            time.sleep(2)

        extras["peak RSS per worker"] = (
            ", ".join(f"{peak_rss_mb(pid):.0f} MB" for pid in worker_pids(process.pid))
            + " (target ≤ 150 MB)"
        )
    finally:
        if process:
            stop_server(process)

    for scenario, script in (
        ("use-many", "debit_many.sql"),
        ("use-single", "debit_single.sql"),
    ):
        if scenario in options.scenarios:
            tps = pgbench(
                pgbench_url(url),
                script,
                connections=options.connections,
                duration=options.duration,
            )
            ours = next((r.rps for r in results if r.scenario == scenario), 0.0)
            extras[f"pgbench ceiling for {scenario}"] = (
                f"{tps:.0f} tps; ours is {100 * ours / tps:.0f}% of it"
                if tps
                else "pgbench not found"
            )
    if not options.keep_database:
        asyncio.run(drop_database(server, url))
    print(format_table(results, extras))


if __name__ == "__main__":
    main()
