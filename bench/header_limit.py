"""What the header size limit costs: uvicorn (one worker) with and without
`HeaderSizeLimit`, on a bare endpoint and on the service's `/health`.

    .venv/bin/python bench/header_limit.py [--duration 10] [--rounds 3]

Each configuration is served in turn on 127.0.0.1 (ports 18210-18219) and
loaded by wrk for a fixed time with a realistic set of request headers
(~1 KiB: a bearer token, cookies, user agent); rounds interleave the
configurations so that drift on a shared machine hits them alike. Prints
requests/s and p50/p99 per configuration (median of the rounds), and the
ratio with/without the limit. An extra row serves `/health` with uvicorn's
h11 parser (`--http h11`, bounded by `--h11-max-incomplete-event-size`)
instead of httptools, the other way to bound headers, for comparison.

Figures, not assertions: the load generator and the server share the cores.

The bare endpoints are defined here too (`header_limit:bare`,
`header_limit:bare_limited`), so uvicorn imports this file as its app.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.applications import Starlette  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from mana_core_auth.header_limit import HeaderSizeLimit  # noqa: E402

DEFAULT_LIMIT = 16 * 1024
FIRST_PORT = 18210


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


bare = Starlette(routes=[Route("/", _hello)])
bare_limited = Starlette(
    routes=[Route("/", _hello)],
    middleware=[Middleware(HeaderSizeLimit, max_bytes=DEFAULT_LIMIT)],
)

# What a browser or an app sends with an API call: ~1 KiB of headers.
HEADERS = {
    "Authorization": "Bearer " + "e" * 600,
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "de-DE,de;q=0.9,en;q=0.8",
    "Accept-Encoding": "gzip, deflate, br",
    "Cookie": "session=" + "c" * 120 + "; theme=dark; consent=1",
    "X-Request-Id": "5f0c6a2e-1b7d-4c1e-9a53-0d6f3f1b2c77",
}


@dataclass(frozen=True)
class Config:
    name: str
    target: str
    path: str
    env: dict[str, str]
    args: tuple[str, ...] = ()


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def configs(database_url: str, data_dir: str) -> list[Config]:
    service = {
        "ENVIRONMENT": "development",
        "DATABASE_URL": database_url,
        "DATA_DIR": data_dir,
        "DATABASE_POOL_MIN": "1",
        "DATABASE_POOL_MAX": "2",
        "LOG_LEVEL": "warning",
    }
    return [
        Config("bare, no limit", "header_limit:bare", "/", {}, ("--app-dir", "bench")),
        Config(
            "bare, limit",
            "header_limit:bare_limited",
            "/",
            {},
            ("--app-dir", "bench"),
        ),
        Config(
            "/health, no limit",
            "main:app",
            "/health",
            {**service, "MAX_HEADER_BYTES": "0"},
        ),
        Config(
            "/health, limit",
            "main:app",
            "/health",
            {**service, "MAX_HEADER_BYTES": str(DEFAULT_LIMIT)},
        ),
        Config(
            "/health, limit, h11",
            "main:app",
            "/health",
            {**service, "MAX_HEADER_BYTES": str(DEFAULT_LIMIT)},
            (
                "--http",
                "h11",
                "--h11-max-incomplete-event-size",
                str(DEFAULT_LIMIT + 8192),
            ),
        ),
    ]


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def parse_wrk(output: str) -> Run:
    def milliseconds(value: str, unit: str) -> float:
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*?(\d+) timeout", output)
    if not (rps and p50 and p99):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return Run(
        rps=float(rps[1]),
        p50_ms=milliseconds(p50[1], p50[2]),
        p99_ms=milliseconds(p99[1], p99[2]),
        errors=int(errors[1] if errors else 0)
        + int(socket_errors[1] if socket_errors else 0),
    )


def measure(config: Config, port: int, duration: int, connections: int) -> Run:
    command = [sys.executable, "-m", "uvicorn", config.target, "--port", str(port)]
    command += ["--host", "127.0.0.1", "--workers", "1", "--log-level", "warning"]
    command += list(config.args)
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **config.env},
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}{config.path}"
        wait_for(url, server)
        headers = [
            arg for name, value in HEADERS.items() for arg in ("-H", f"{name}: {value}")
        ]
        output = subprocess.run(
            [
                "wrk",
                "-t",
                "1",
                "-c",
                str(connections),
                "-d",
                f"{duration}s",
                "--latency",
                *headers,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 30,
            check=True,
        ).stdout
        return parse_wrk(output)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    database_url = os.environ.get(
        "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    header_bytes = sum(len(k) + len(v) + 4 for k, v in HEADERS.items())
    with tempfile.TemporaryDirectory(prefix="mca-bench-headers-") as data_dir:
        plan = configs(database_url, data_dir)
        runs: dict[str, list[Run]] = {config.name: [] for config in plan}
        for round_number in range(options.rounds):
            for index, config in enumerate(plan):
                run = measure(
                    config, FIRST_PORT + index, options.duration, options.connections
                )
                runs[config.name].append(run)
                print(
                    f"round {round_number + 1}: {config.name:<22} {run.rps:9.0f} req/s "
                    f"p50 {run.p50_ms:6.2f} ms p99 {run.p99_ms:6.2f} ms "
                    f"errors {run.errors}",
                    flush=True,
                )

    def median(name: str, attribute: str) -> float:
        return statistics.median(getattr(run, attribute) for run in runs[name])

    print(
        f"\nuvicorn, 1 worker, wrk -t1 -c{options.connections} -d{options.duration}s, "
        f"{header_bytes} bytes of request headers, median of {options.rounds} "
        "rounds (a shared 2-core machine: figures are noisy)\n"
    )
    print(
        f"{'configuration':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    for name in runs:
        errors = sum(run.errors for run in runs[name])
        print(
            f"{name:<22} {median(name, 'rps'):9.0f} {median(name, 'p50_ms'):8.2f} "
            f"{median(name, 'p99_ms'):8.2f} {errors:7d}"
        )
    for without, with_limit in (
        ("bare, no limit", "bare, limit"),
        ("/health, no limit", "/health, limit"),
        ("/health, limit", "/health, limit, h11"),
    ):
        ratio = median(with_limit, "rps") / median(without, "rps")
        print(
            f"ratio {with_limit!r} / {without!r}: {ratio:.3f} "
            f"({(ratio - 1) * 100:+.1f} % throughput)"
        )


if __name__ == "__main__":
    main()
