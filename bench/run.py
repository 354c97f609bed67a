"""Load benchmark: the service against this machine's own ceilings, measured
in the same run.

    .venv/bin/python bench/run.py [--quick] [--duration 15] [--connections 16]
                                  [--workers N] [--profile DIR] [--save]

In order: the import floor (`python -c "import asyncpg, piccolo"`), the
entrypoint's migrate command on empty databases and on an up-to-date one,
the DDL floor (`psql` applying `pg_dump --schema-only` of the migrated
database to an empty one), the hash ceiling (cores ÷ one argon2id hash with
the service's parameters; beside it, what as many processes hashing at once
reach), the framework floor (bench/floor_app.py under the entrypoint's
uvicorn command and workers, no access log: its start → first answer and its
req/s), the FastAPI floor's start (bench/fastapi_floor_app.py, the same with
an empty FastAPI sub-app), then the service started by `docker-entrypoint.sh`
itself (production settings, access log on as in production): start → first
answer, users registered and logged in through the API and topped up
through the service's own grant, each scenario with wrk, peak RSS per
worker; then pgbench running the service's own spend statement on the same
database and users (the database ceiling, many users and one user), and
`piccolo mana verify_ledger` over the whole ledger. It prints every measure with
its ceiling, the ratio and the target (issue 17).

Every load runs on 127.0.0.1 with a fixed duration; nothing is retried
without bound. Figures, not assertions: this never fails on a slow machine.
On a machine shared with other work the ratios, not the absolute figures,
are what compares across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import ceilings  # noqa: E402

from tests.database import create_database, drop_database, server_url  # noqa: E402

LUA = BENCH / "lua"
RESULTS = BENCH / "results"
PASSWORD = "BenchPass123!"
TOP_UP = 10_000_000
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
STARTING_LINE = "Starting Mana Core Auth..."


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


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


# --------------------------------------------------------------------- database
async def sql(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(query, *args)
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


def top_up(env: dict[str, str], user_ids: list[str]) -> None:
    """Give every user TOP_UP paid credits through the service's own grant
    (an `adjustment` ledger row each, chained like any other)."""
    subprocess.run(
        [PYTHON, str(BENCH / "top_up.py"), str(TOP_UP), *user_ids],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
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


def credits_verify(env: dict[str, str]) -> tuple[int, str]:
    """`piccolo mana verify_ledger` on the benchmark's database: exit status and
    what it printed."""
    done = subprocess.run(
        [
            PYTHON,
            "-c",
            "from piccolo.main import main; main()",
            "mana",
            "verify_ledger",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, (done.stdout + done.stderr).strip()


# --------------------------------------------------------------------- servers
def uvicorn_command(app: str, port: int, workers: int) -> list[str]:
    """The uvicorn command of docker-entrypoint.sh (its defaults), for `app`,
    without an access log: what the framework floor is served with."""
    return [
        str(VENV_BIN / "uvicorn"),
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--proxy-headers",
        "--forwarded-allow-ips",
        "127.0.0.1",
        "--log-level",
        "info",
        "--no-server-header",
        "--no-access-log",
    ]


@dataclass
class Started:
    process: subprocess.Popen
    # process start (or, for the entrypoint, its exec of uvicorn) -> first 200
    startup_s: float
    # entrypoint only: its start -> "Starting Mana Core Auth..." (the migrate step)
    migrate_s: float | None = None


def _wait_for_answer(
    process: subprocess.Popen, url: str, log: Path | None
) -> tuple[float, float | None]:
    """Poll until `url` answers 200; with `log`, also note when the
    entrypoint's starting line appears in it. Times from now."""
    started = time.monotonic()
    exec_at = None if log else started
    deadline = started + 90
    while time.monotonic() < deadline:
        if exec_at is None and log and STARTING_LINE in log.read_text(errors="ignore"):
            exec_at = time.monotonic()
        if exec_at is not None and answers(url):
            answered = time.monotonic()
            migrate = exec_at - started if log else None
            return answered - exec_at, migrate
        if process.poll() is not None:
            tail = log.read_text(errors="ignore")[-3000:] if log else ""
            raise SystemExit(f"the server exited before answering\n{tail}")
        time.sleep(0.003)
    raise SystemExit(f"no answer from {url} within 90 s")


def start_floor(
    port: int, workers: int, log: Path, app: str = "floor_app:app"
) -> Started:
    with log.open("ab") as out:
        process = subprocess.Popen(
            uvicorn_command(app, port, workers),
            cwd=BENCH,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    startup, _ = _wait_for_answer(process, f"http://127.0.0.1:{port}/health", None)
    return Started(process, startup)


def create_service_key(env: dict[str, str]) -> str:
    """A service key with `credits:spend`, made as an operator makes it
    (printed on the command's last line)."""
    output = subprocess.run(
        [
            PYTHON,
            "-c",
            "from piccolo.main import main; main()",
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


def start_service(
    env: dict[str, str],
    port: int,
    workers: int,
    log: Path,
    extra_args: tuple[str, ...] = (),
) -> Started:
    """`docker-entrypoint.sh` as the container runs it: migrate, then exec
    uvicorn with production settings (access log on), to a log file."""
    log.write_text("")
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["sh", str(ROOT / "docker-entrypoint.sh"), *extra_args],
            cwd=ROOT,
            env={
                **env,
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "WEB_CONCURRENCY": str(workers),
            },
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    startup, migrate = _wait_for_answer(process, f"http://127.0.0.1:{port}/health", log)
    return Started(process, startup, migrate)


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


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
                str(VENV_BIN / "py-spy"),
                "record",
                "--format",
                "raw",
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


# --------------------------------------------------------------------- report
@dataclass(frozen=True)
class Ceiling:
    value: float
    text: str
    # the framework floor's server CPU share, for a per-CPU comparison
    server_cpu: float = 0.0


@dataclass
class Measure:
    name: str
    value: str
    ceiling: str
    ratio: str
    target: str
    met: bool | None


def percent(value: float, ceiling: float) -> str:
    return f"{100 * value / ceiling:.0f} %" if ceiling else "—"


def times(value: float, floor: float) -> str:
    return f"{value / floor:.2f}×" if floor else "—"


ROUTES = {
    "register": "POST /api/v1/auth/register",
    "login": "POST /api/v1/auth/login",
    "validate": "POST /api/v1/auth/validate",
    "balance": "GET /api/v1/credits/balance",
    "use": "POST /api/v1/credits/use",
    "refresh": "POST /api/v1/auth/refresh",
}


def access_lines(log: Path) -> dict[str, int]:
    """Request log lines per route in the service's output: the service's
    own JSON lines, or uvicorn's access lines."""
    text = log.read_text(errors="ignore")
    return {
        name: text.count(f'"route": "{route.split()[1]}"')
        + text.count(f'"{route} HTTP')
        for name, route in ROUTES.items()
    }


def by_scenario(results: list[Result], scenario: str) -> Result | None:
    return next((r for r in results if r.scenario == scenario), None)


def format_scenarios(results: list[Result]) -> str:
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | errors | CPU % server / pg |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.scenario} | {r.rps:.1f} | {r.p50:.1f} | {r.p99:.1f} "
            f"| {r.errors} "
            f"| {r.cpu.get('server', 0):.0f} / {r.cpu.get('postgres', 0):.0f} |"
            + (f" {r.note}" if r.note else "")
        )
    return "\n".join(lines)


def format_measures(measures: list[Measure]) -> str:
    lines = [
        "| measure | value | ceiling | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for m in measures:
        met = "—" if m.met is None else ("yes" if m.met else "no")
        lines.append(
            f"| {m.name} | {m.value} | {m.ceiling} | {m.ratio} | {m.target} | {met} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------- run
def production_env(url: str) -> dict[str, str]:
    key = subprocess.run(
        [
            PYTHON,
            "-c",
            "from mana_core_auth.security.keys import *; "
            "print(private_key_pem(generate_private_key('EdDSA')).decode())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
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


def run(options: argparse.Namespace, say: Callable[[str], None]) -> None:
    duration = options.duration
    repeats = options.repeats
    workers = options.workers
    cores = len(os.sched_getaffinity(0))
    server = server_url()
    url = asyncio.run(create_database(server, prefix="mana_bench"))
    env = production_env(url)
    workdir = Path(tempfile.mkdtemp(prefix="mana-bench-"))
    service_log = workdir / "service.log"
    floor_log = workdir / "floor.log"
    service_port, floor_port = options.port, options.port + 1
    results: list[Result] = []
    extras: dict[str, str] = {}
    service: Started | None = None
    floor: Started | None = None
    databases = [url]
    ceiling_of: dict[str, Ceiling] = {}
    # register, login: hashes/s of as many processes as cores hashing at once
    hashes_at_once: dict[str, float] = {}

    say(
        f"bench: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {cores} cores, "
        f"{workers} workers, c={options.connections}, {duration} s per scenario, "
        f"{repeats} repeats of each short measure (median)"
    )
    try:
        # ---- floors for migrating
        import_floor = ceilings.import_floor(PYTHON, env, repeats)
        migrate = [PYTHON, "-m", "mana_core_auth.migrations"]
        empty_times = [timed(migrate, env)]
        for _ in range(repeats - 1):
            other = asyncio.run(create_database(server, prefix="mana_bench"))
            databases.append(other)
            empty_times.append(timed(migrate, {**env, "DATABASE_URL": other}))
        migrate_empty = sorted(empty_times)[len(empty_times) // 2]
        migrate_current = ceilings.median_of(repeats, lambda: timed(migrate, env))
        ddl_floor = ceilings.ddl_floor(server, url, repeats)
        say("measured: import floor, migrations, DDL floor")

        # ---- the framework floor's start; it keeps running, loaded just
        # before each scenario compared with it
        floor_starts = []
        for i in range(repeats):
            floor = start_floor(floor_port, workers, floor_log)
            floor_starts.append(floor.startup_s)
            if i < repeats - 1:
                stop_server(floor.process)
        floor_start = sorted(floor_starts)[len(floor_starts) // 2]
        assert floor is not None
        fastapi_floor_starts = []
        for _ in range(repeats):
            fastapi_floor = start_floor(
                floor_port + 1, workers, floor_log, "fastapi_floor_app:app"
            )
            fastapi_floor_starts.append(fastapi_floor.startup_s)
            stop_server(fastapi_floor.process)
        fastapi_floor_start = sorted(fastapi_floor_starts)[
            len(fastapi_floor_starts) // 2
        ]
        floor_meter = CpuMeter({"server": floor.process.pid})

        # ---- the service, as the entrypoint starts it
        service_starts, entrypoint_migrates = [], []
        for i in range(repeats):
            service = start_service(env, service_port, workers, service_log)
            service_starts.append(service.startup_s)
            entrypoint_migrates.append(service.migrate_s or 0.0)
            if i < repeats - 1:
                stop_server(service.process)
        assert service is not None
        service_start = sorted(service_starts)[len(service_starts) // 2]
        process = service.process
        base = f"http://127.0.0.1:{service_port}/api/v1"
        meter = CpuMeter({"server": process.pid, "postgres": postmaster_pid(url)})
        say("measured: starts")

        run_id = uuid.uuid4().hex[:8]
        users_file = workdir / "users.tsv"
        started = time.monotonic()
        rows = prepare_users(base, options.users, run_id, users_file)
        top_up(env, [row[2] for row in rows])
        service_key = create_service_key(env)
        extras["prepare"] = (
            f"{len(rows)} users registered, logged in and topped up (grant) "
            f"in {time.monotonic() - started:.1f} s"
        )
        say(extras["prepare"])
        spend_dir = workdir / "pgbench"
        spend_scripts = {
            "use-many": ceilings.spend_scripts(
                spend_dir / "many",
                [row[2] for row in rows[: ceilings.PGBENCH_MAX_SCRIPTS]],
            ),
            "use-single": ceilings.spend_scripts(spend_dir / "single", [rows[0][2]]),
        }
        # A service key spends with the same statement; the key's look-up is
        # what it costs on top.
        spend_scripts["use-many-key"] = spend_scripts["use-many"]

        def measure_ceiling(scenario: str) -> Ceiling | None:
            """The ceiling `scenario` is a share of, measured right before
            (or, for spending, right after) it, so both see the same load
            from whatever else runs on the machine."""
            if scenario in ("validate", "balance"):
                record, shares = wrk(
                    "floor.lua",
                    f"http://127.0.0.1:{floor_port}",
                    [],
                    connections=options.connections,
                    duration=duration,
                    meter=floor_meter,
                )
                r = to_result("framework floor", record, shares)
                time.sleep(1)
                return Ceiling(
                    r.rps,
                    f"framework floor {r.rps:.0f} req/s "
                    f"(p99 {r.p99:.1f} ms, {r.errors} errors)",
                    r.cpu.get("server", 0.0),
                )
            if scenario in ("register", "login"):
                hashing = ceilings.hash_ceiling(cores)
                at_once = ceilings.hashes_at_once(cores, duration)
                hashes_at_once[scenario] = at_once
                return Ceiling(
                    hashing.per_second,
                    f"hash ceiling {hashing.per_second:.1f}/s "
                    f"({cores} cores ÷ {1000 * hashing.seconds_per_hash:.1f} ms; "
                    f"{cores} hashing at once: {at_once:.1f}/s)",
                )
            if scenario in spend_scripts:
                tps = ceilings.pgbench_spend(
                    url,
                    spend_scripts[scenario],
                    connections=options.connections,
                    duration=duration,
                )
                return Ceiling(
                    tps.tps,
                    f"pgbench, same statement: {tps.tps:.0f} tps "
                    f"({tps.latency_ms:.1f} ms avg, p99 {tps.p99_ms:.1f} ms, "
                    f"{tps.failed} failed)",
                )
            return None

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
        for scenario in options.scenarios.split(","):
            script, script_args = args[scenario]
            ceiling = None
            if scenario not in spend_scripts:
                ceiling = measure_ceiling(scenario)
            before = None
            if scenario == "use-single":
                before = call(base, "GET", "/credits/balance", token=rows[0][3])[1]
            profilers = (
                start_profilers(process.pid, options.profile, scenario, duration)
                if options.profile
                else []
            )
            record, shares = wrk(
                script,
                base,
                script_args,
                connections=options.connections,
                duration=duration,
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
            if scenario.startswith("use"):
                extras[f"ledger check after {scenario}"] = json.dumps(ledger_check(url))
            if scenario in spend_scripts:
                ceiling = measure_ceiling(scenario)
            results.append(result)
            if ceiling:
                ceiling_of[scenario] = ceiling
            say(
                f"{scenario}: {result.rps:.1f} req/s, p99 {result.p99:.1f} ms; "
                + (ceiling.text if ceiling else "no ceiling")
            )
            time.sleep(2)

        rss = [peak_rss_mb(pid) for pid in worker_pids(process.pid)]
        stop_server(process)
        service = None
        logged = access_lines(service_log)
        extras["access log lines written by the service"] = ", ".join(
            f"{scenario} {logged.get(scenario, 0)}" for scenario in logged
        )
        if "validate" in args and "validate" in options.scenarios.split(","):
            # The same scenario with uvicorn's access log instead of the app's.
            time.sleep(2)
            service = start_service(
                {**env, "REQUEST_LOG": "false"},
                service_port,
                workers,
                service_log,
                ("--access-log",),
            )
            record, shares = wrk(
                "validate.lua",
                base,
                [str(users_file)],
                connections=options.connections,
                duration=duration,
                meter=CpuMeter({"server": service.process.pid}),
            )
            uvicorn_log = to_result("validate, uvicorn's access log", record, shares)
            lines = access_lines(service_log)["validate"]
            stop_server(service.process)
            service = None
            ours = by_scenario(results, "validate")
            extras["access log: uvicorn's instead of the app's, validate"] = (
                f"{uvicorn_log.rps:.0f} req/s (p99 {uvicorn_log.p99:.1f} ms, "
                f"{lines} lines logged) against "
                f"{ours.rps:.0f} req/s (p99 {ours.p99:.1f} ms) with the app's"
                if ours
                else f"{uvicorn_log.rps:.0f} req/s"
            )
        verify_status, verify_output = credits_verify(env)
    finally:
        for started_server in (service, floor):
            if started_server:
                stop_server(started_server.process)
        if not options.keep_database:
            for database in databases:
                asyncio.run(drop_database(server, database))
        shutil.rmtree(workdir, ignore_errors=True)

    by_name = {r.scenario: r for r in results}

    def scenario_measure(name: str, scenario: str, share: float) -> Measure | None:
        r, c = by_name.get(scenario), ceiling_of.get(scenario)
        if r is None or c is None:
            return None
        return Measure(
            name,
            f"{r.rps:.1f} req/s (p99 {r.p99:.1f} ms, {r.errors} errors)",
            c.text,
            percent(r.rps, c.value),
            f"≥ {share:.0%}",
            r.rps >= share * c.value and r.errors == 0,
        )

    measures = [
        scenario_measure("validate with live-session check", "validate", 0.25),
        scenario_measure("balance", "balance", 0.15),
        scenario_measure(
            f"spend, {min(len(rows), ceilings.PGBENCH_MAX_SCRIPTS)} users",
            "use-many",
            0.40,
        ),
        scenario_measure(
            "spend with a service key and userId, same users", "use-many-key", 0.40
        ),
    ]
    if "use-single" in by_name and "use-single" in ceiling_of:
        r, c = by_name["use-single"], ceiling_of["use-single"]
        measures.append(
            Measure(
                "spend, one user",
                f"{r.rps:.1f} req/s, p99 {r.p99:.1f} ms, {r.errors} errors",
                c.text,
                percent(r.rps, c.value),
                "p99 ≤ 60 ms, no error",
                r.p99 <= 60 and r.errors == 0,
            )
        )
    measures += [
        scenario_measure("login", "login", 0.85),
        scenario_measure("register", "register", 0.75),
        Measure(
            f"process start → first answer, {workers} workers",
            f"{service_start:.2f} s",
            f"framework floor's start {floor_start:.2f} s",
            times(service_start, floor_start),
            "≤ 2×",
            service_start <= 2 * floor_start,
        ),
        Measure(
            "migrate an empty database (entrypoint)",
            f"{migrate_empty:.2f} s",
            f"DDL {ddl_floor:.2f} s + import {import_floor:.2f} s",
            times(migrate_empty, ddl_floor + import_floor),
            "≤ 2×",
            migrate_empty <= 2 * (ddl_floor + import_floor),
        ),
        Measure(
            "migrate an up-to-date database",
            f"{migrate_current:.2f} s",
            f"import floor {import_floor:.2f} s",
            times(migrate_current, import_floor),
            "≤ 1.5×",
            migrate_current <= 1.5 * import_floor,
        ),
        Measure(
            "peak RSS per worker",
            ", ".join(f"{mb:.0f} MB" for mb in rss),
            "—",
            "—",
            "≤ 110 MB",
            all(mb <= 110 for mb in rss),
        ),
    ]
    floor_efficiency = [
        (scenario, c.value / c.server_cpu * 100)
        for scenario, c in ceiling_of.items()
        if c.server_cpu
    ]
    for scenario, per_cpu in floor_efficiency:
        r = by_name[scenario]
        ours = r.rps / r.cpu["server"] * 100 if r.cpu.get("server") else 0.0
        extras[f"{scenario} per server CPU-second"] = (
            f"{ours:.0f} requests, framework floor {per_cpu:.0f}: "
            f"{percent(ours, per_cpu)} (less sensitive to other load on the machine)"
        )
    for scenario, at_once in hashes_at_once.items():
        r = by_name[scenario]
        extras[f"{scenario} against {cores} processes hashing at once"] = (
            f"{r.rps:.1f}/s of {at_once:.1f}/s: {percent(r.rps, at_once)} (the hash "
            f"ceiling assumes {cores} hashes at once run as fast as one alone; "
            f"here they reached {percent(at_once, ceiling_of[scenario].value)} of it)"
        )
    extras["entrypoint start → exec uvicorn (its migrate step, up to date)"] = (
        f"{sorted(entrypoint_migrates)[len(entrypoint_migrates) // 2]:.2f} s"
    )
    extras["FastAPI floor's start (bench/fastapi_floor_app.py)"] = (
        f"{fastapi_floor_start:.2f} s, {times(fastapi_floor_start, floor_start)} "
        f"the framework floor's; the service's is "
        f"{times(service_start, fastapi_floor_start)} the FastAPI floor's"
    )
    extras["starts (s)"] = (
        f"service {', '.join(f'{s:.2f}' for s in service_starts)}; "
        f"framework floor {', '.join(f'{s:.2f}' for s in floor_starts)}; "
        f"FastAPI floor {', '.join(f'{s:.2f}' for s in fastapi_floor_starts)}"
    )
    extras["migrate empty (s)"] = ", ".join(f"{s:.2f}" for s in empty_times)
    extras["piccolo mana verify_ledger"] = f"exit {verify_status}: " + " / ".join(
        verify_output.splitlines()[:6]
    )

    say("")
    say(format_measures([m for m in measures if m is not None]))
    say("")
    say(format_scenarios(results))
    say("")
    for key, value in extras.items():
        say(f"- {key}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a fast check: 5 s per scenario (unless --duration says otherwise)",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", len(os.sched_getaffinity(0)))),
    )
    parser.add_argument(
        "--users",
        type=int,
        default=120,
        help=f"prepared users (at most {ceilings.PGBENCH_MAX_SCRIPTS} "
        "take part in the pgbench ceiling)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="of each short measure")
    parser.add_argument(
        "--port",
        type=int,
        default=18400,
        help="the service's; the framework and FastAPI floors' are +1 and +2",
    )
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
    parser.add_argument(
        "--save",
        action="store_true",
        help="also write the output to bench/results/<date>-<quick|full>.txt",
    )
    options = parser.parse_args()
    if options.quick and "--duration" not in sys.argv:
        options.duration = 5
    for tool in ("wrk", "pgbench", "pg_dump", "psql"):
        if not shutil.which(tool):
            raise SystemExit(
                f"{tool} is needed: apt-get install -y wrk postgresql-client"
            )

    captured = io.StringIO()

    def say(line: str) -> None:
        print(line, flush=True)
        captured.write(line + "\n")

    run(options, say)
    if options.save:
        RESULTS.mkdir(exist_ok=True)
        kind = "quick" if options.quick else "full"
        path = RESULTS / f"{dt.datetime.now():%Y-%m-%d-%H%M}-{kind}.txt"
        path.write_text(captured.getvalue())
        print(f"saved {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
