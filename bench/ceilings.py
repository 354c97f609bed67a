"""What this machine allows, measured in the same run as the service: the
ceilings and floors bench/run.py divides the service's figures by.

- hash ceiling: cores ÷ the time of one argon2id hash with the service's
  parameters (login verifies one hash, register makes one); beside it, what
  as many processes as cores reach hashing at once for as long as a
  scenario runs (`hashes_at_once`): the hash alone, with the cores shared
  as in the loaded service;
- database ceiling: pgbench running the service's own spend statement
  (`_SPEND`, with the parameters a `/credits/use` request binds) on the
  benchmark's database and users;
- DDL floor: `psql` applying a `pg_dump --schema-only` of a migrated
  database to an empty one;
- import floor: `python -c "import asyncpg, piccolo"` in the service's venv.

The framework floor (bench/floor_app.py under the entrypoint's uvicorn
command) is served and loaded by run.py itself, like the service.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.synchronize
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.database import create_database, drop_database  # noqa: E402

# What bench/lua/use.lua sends.
USE_AMOUNT = 1
USE_APP_ID = "bench"
USE_DESCRIPTION = "bench use"
# pgbench takes at most 128 scripts: one per user, each with its user's id.
PGBENCH_MAX_SCRIPTS = 128


def _timed(command: list[str], **kwargs: object) -> float:
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    return time.monotonic() - started


def median_of(repeats: int, measure: object) -> float:
    assert callable(measure)
    return statistics.median(measure() for _ in range(repeats))


# --------------------------------------------------------------------- hash
@dataclass(frozen=True)
class HashCeiling:
    seconds_per_hash: float
    cores: int

    @property
    def per_second(self) -> float:
        return self.cores / self.seconds_per_hash


def hash_ceiling(cores: int, samples: int = 15) -> HashCeiling:
    """The median time of one argon2id hash with the service's hasher (the
    one `hash_password` uses), on one core of this machine."""
    from mana_core_auth.security.passwords import password_hash

    password_hash.hash("warm-up password")
    times = []
    for i in range(samples):
        started = time.perf_counter()
        password_hash.hash(f"BenchPass123!-{i}")
        times.append(time.perf_counter() - started)
    return HashCeiling(statistics.median(times), cores)


def _hash_until(
    seconds: float,
    ready: multiprocessing.synchronize.Barrier,
    done: Queue[tuple[int, float]],
) -> None:
    from mana_core_auth.security.passwords import password_hash

    password_hash.hash("warm-up password")
    ready.wait()
    started = time.perf_counter()
    hashes = 0
    while time.perf_counter() - started < seconds:
        password_hash.hash(f"BenchPass123!-{hashes}")
        hashes += 1
    done.put((hashes, time.perf_counter() - started))


def hashes_at_once(cores: int, seconds: float) -> float:
    """Hashes per second when `cores` processes hash with the service's
    hasher for `seconds`, started together: what the hash itself reaches on
    all cores at once, nothing else running in the service's processes."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(cores + 1)
    done: Queue[tuple[int, float]] = context.Queue()
    processes = [
        context.Process(target=_hash_until, args=(seconds, ready, done))
        for _ in range(cores)
    ]
    for process in processes:
        process.start()
    try:
        ready.wait(timeout=60)
        counts = [done.get(timeout=seconds + 60) for _ in processes]
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
    return sum(hashes for hashes, _ in counts) / max(took for _, took in counts)


# --------------------------------------------------------------------- import
def import_floor(python: str, env: dict[str, str], repeats: int) -> float:
    """What any migrating process pays before it can talk to PostgreSQL."""
    return median_of(
        repeats,
        lambda: _timed([python, "-c", "import asyncpg, piccolo"], cwd=ROOT, env=env),
    )


# --------------------------------------------------------------------- DDL
def ddl_floor(server: str, migrated_url: str, repeats: int) -> float:
    """`psql` applying the migrated schema (a `pg_dump --schema-only`) to an
    empty database: what creating these tables costs PostgreSQL itself."""
    dump = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", migrated_url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
        file.write(dump)
    times = []
    for _ in range(repeats):
        empty = asyncio.run(create_database(server, prefix="mana_bench_ddl"))
        try:
            times.append(
                _timed(
                    [
                        "psql",
                        "-X",
                        "-q",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-f",
                        file.name,
                        empty,
                    ]
                )
            )
        finally:
            asyncio.run(drop_database(server, empty))
    Path(file.name).unlink()
    return statistics.median(times)


# --------------------------------------------------------------------- database
@dataclass(frozen=True)
class PgbenchResult:
    tps: float
    latency_ms: float
    failed: int
    p99_ms: float = 0.0


def spend_scripts(directory: Path, user_ids: list[str]) -> list[Path]:
    """One pgbench script per user: the service's `_SPEND` with that user's
    id as a literal, the other parameters as pgbench variables (bound as
    parameters with `-M prepared`, as asyncpg binds them), metadata and the
    spending API key NULL as in use.lua's requests with a user's token, and a
    fresh idempotency key per transaction."""
    from mana_core_auth.credits.spending import _SPEND

    assert len(user_ids) <= PGBENCH_MAX_SCRIPTS
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, user_id in enumerate(user_ids):
        statement = re.sub(
            r"\$(\d+)",
            lambda m, uid=user_id: (
                f"'{uid}'"
                if m.group(1) == "1"
                else "NULL"
                if m.group(1) in ("5", "12")  # no metadata; no API key
                else f":p{m.group(1)}"
            ),
            _SPEND.strip(),
        )
        path = directory / f"spend-{i}.sql"
        path.write_text(
            "-- the service's spend statement (mana_core_auth/credits/spending.py)\n"
            "\\set p6 random(1, 9000000000000000000)\n" + statement + ";\n"
        )
        paths.append(path)
    return paths


def spend_variables(now: datetime | None = None) -> dict[str, str]:
    """The values `spend()` binds for a use.lua request, but the key."""
    from mana_core_auth.credits import daily_grant, idempotency
    from mana_core_auth.credits.ledger import utc_day_start

    now = now or datetime.now(UTC)
    return {
        "p2": str(USE_AMOUNT),
        "p3": USE_APP_ID,
        "p4": USE_DESCRIPTION,
        "p7": idempotency.request_fingerprint(
            amount=USE_AMOUNT,
            app_id=USE_APP_ID,
            description=USE_DESCRIPTION,
            metadata=None,
        ),
        "p8": now.isoformat(),
        "p9": utc_day_start(now).isoformat(),
        "p10": daily_grant.DESCRIPTION,
        "p11": daily_grant.METADATA,
    }


def pgbench_spend(
    url: str, scripts: list[Path], *, connections: int, duration: int
) -> PgbenchResult:
    command = [
        "pgbench",
        "-n",
        "-M",
        "prepared",
        "-c",
        str(connections),
        "-j",
        "2",
        "-T",
        str(duration),
    ]
    for name, value in spend_variables().items():
        command += ["-D", f"{name}={value}"]
    for script in scripts:
        command += ["-f", f"{script}@1"]
    logs = Path(tempfile.mkdtemp(prefix="pgbench-"))
    # One line per transaction (its latency in microseconds is the 3rd field).
    command += ["-l", "--log-prefix", str(logs / "tx"), url]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 60, check=True
    ).stdout
    tps = re.search(r"tps = ([\d.]+)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    latencies = sorted(
        int(line.split()[2])
        for log in logs.iterdir()
        for line in log.read_text().splitlines()
        if line.split()[2:3] and line.split()[2].isdigit()
    )
    for log in logs.iterdir():
        log.unlink()
    logs.rmdir()
    return PgbenchResult(
        tps=float(tps.group(1)) if tps else 0.0,
        latency_ms=float(latency.group(1)) if latency else 0.0,
        failed=int(failed.group(1)) if failed else 0,
        p99_ms=latencies[int(0.99 * (len(latencies) - 1))] / 1000 if latencies else 0.0,
    )
