"""Three replicas of the service (each `docker-entrypoint.sh`: migrations
under the advisory lock, then uvicorn with two workers) on three ports, all
started at once, against one PostgreSQL through one PgBouncer in
transaction mode. A bounded load of registrations, logins, spends with
idempotency keys (each sent to several replicas at once), refreshes handed
from replica to replica and failed logins is spread over them; then:

- migrations ran once, by one replica;
- `piccolo mana verify_ledger` finds nothing and no idempotency key was charged
  twice;
- the failed-login limit is counted once across replicas: exactly the
  limit's worth of attempts get 401, the rest 429;
- a logout on one replica is refused at once by the others;
- the metrics of all six workers add up to the same spends.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.database import piccolo
from tests.deploy.support import (
    PASSWORD,
    ROOT,
    Server,
    app_env,
    database_url,
    ed25519_pem,
    pgbouncer_binary,
    pgbouncer_config,
    run_sql,
    start,
    wait_for_port,
)
from tests.mana_core_auth.observability.conftest import parse, value
from tests.ports import APP_PORTS, PGBOUNCER_PORTS, loopback_port

pytestmark = pytest.mark.slow

REPLICAS = 3
USERS = 24
SPENDS_PER_USER = 6
COPIES_PER_SPEND = 3  # each key sent to this many replicas at once
REFRESHES_PER_USER = 3
SIGNUP_BONUS = 50
LOGIN_LIMIT = 5
FAILED_LOGINS = 14
IN_FLIGHT = 12
APPLIED = "SELECT app_name, name FROM migration"


@dataclass
class Tally:
    """Every answer of the load, by status; transport errors apart."""

    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + len(self.transport_errors)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


class Replicas:
    """One async client per replica, counting every answer."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers
        self.tally = Tally()
        self.gate = asyncio.Semaphore(IN_FLIGHT)
        self.clients = [
            httpx.AsyncClient(base_url=server.url(""), timeout=60) for server in servers
        ]

    async def call(
        self, replica: int, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        async with self.gate:
            try:
                response = await self.clients[replica % REPLICAS].request(
                    method, path, **kwargs
                )
            except httpx.TransportError as error:
                self.tally.transport_errors.append(f"{method} {path}: {error!r}")
                raise
        self.tally.statuses[response.status_code] += 1
        return response

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def pgbouncer(postgres: str) -> Iterator[int]:
    binary = pgbouncer_binary()
    directory = Path(tempfile.mkdtemp(prefix="mca-replicas-pgbouncer-"))
    port = loopback_port(PGBOUNCER_PORTS)
    ini = pgbouncer_config(directory, port, pool_size=10)
    # PgBouncer refuses to run as root.
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    server = start(
        [binary, *user, str(ini)], env=dict(os.environ), port=port, cwd=directory
    )
    try:
        wait_for_port(server)
        yield port
    finally:
        server.stop()
        shutil.rmtree(directory)


@pytest.fixture(scope="module")
def replicas(
    pgbouncer: int, make_database: Callable[[], str]
) -> Iterator[tuple[list[Server], str]]:
    database = make_database()
    shared = {
        "JWT_PRIVATE_KEY": ed25519_pem(),
        "TOTP_ENCRYPTION_KEY": app_env()["TOTP_ENCRYPTION_KEY"],
    }
    # The entrypoint makes each replica's metrics directory under TMPDIR.
    scratch = Path(tempfile.mkdtemp(prefix="mca-replicas-"))
    ports: list[int] = []
    for _ in range(REPLICAS):
        ports.append(loopback_port(APP_PORTS, frozenset(ports)))
    servers = [
        start(
            ["sh", str(ROOT / "docker-entrypoint.sh")],
            env=app_env(
                HOST="127.0.0.1",
                PORT=str(port),
                WEB_CONCURRENCY="2",
                DATABASE_URL=database_url(database, port=pgbouncer, password=PASSWORD),
                DATABASE_STATEMENT_CACHE_SIZE="0",
                DATABASE_POOL_MAX="4",
                MIGRATION_DATABASE_URL=database_url(database),
                CREDITS_SIGNUP_BONUS=str(SIGNUP_BONUS),
                CREDITS_DAILY_FREE="0",
                RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT=str(LOGIN_LIMIT),
                RATE_LIMIT_LOGIN_FAILURES_PER_IP="1000000",
                RATE_LIMIT_REGISTER_PER_IP="1000000",
                METRICS_ENABLED="true",
                # Every worker of every replica tries; one at a time cleans.
                CLEANUP_INTERVAL_SECONDS="3",
                TMPDIR=str(scratch),
                **shared,
            ),
            port=port,
            cwd=ROOT,
        )
        for port in ports
    ]
    try:
        for server in servers:
            server.wait_ready()
        yield servers, database
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


async def _register_and_log_in(api: Replicas, n: int) -> dict[str, Any]:
    email = f"replica-{n}-{secrets.token_hex(4)}@example.com"
    body = {"email": email, "password": PASSWORD}
    registered = await api.call(n, "POST", "/api/v1/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    logged_in = await api.call(n + 1, "POST", "/api/v1/auth/login", json=body)
    assert logged_in.status_code == 200, logged_in.text
    return {"email": email, **logged_in.json()}


async def _spend_everywhere(api: Replicas, user: dict[str, Any], n: int) -> list[dict]:
    """Each spend's key sent to COPIES_PER_SPEND replicas at once."""
    answers = []
    for spend in range(SPENDS_PER_USER):
        body = {
            "amount": 1,
            "appId": "replicas",
            "description": f"spend {spend}",
            "idempotencyKey": f"{user['user']['id']}-{spend}",
        }
        copies = await asyncio.gather(
            *(
                api.call(
                    n + copy,
                    "POST",
                    "/api/v1/credits/use",
                    json=body,
                    headers=bearer(user["accessToken"]),
                )
                for copy in range(COPIES_PER_SPEND)
            )
        )
        statuses = {response.status_code for response in copies}
        # 409: another copy held the key at that moment; it is still one spend.
        assert statuses <= {201, 409}, [r.text for r in copies]
        done = [r.json()["transaction"] for r in copies if r.status_code == 201]
        assert done and all(t["id"] == done[0]["id"] for t in done)
        answers.append(done[0])
    return answers


async def _refresh_around(api: Replicas, user: dict[str, Any], n: int) -> None:
    """Each refresh on the next replica; the replaced token is refused by
    yet another one."""
    token = user["refreshToken"]
    for step in range(REFRESHES_PER_USER):
        refreshed = await api.call(
            n + step, "POST", "/api/v1/auth/refresh", json={"refreshToken": token}
        )
        assert refreshed.status_code == 200, refreshed.text
        token = refreshed.json()["refreshToken"]
    user["refreshToken"] = token


async def _load(servers: list[Server]) -> dict[str, Any]:
    api = Replicas(servers)
    started = time.monotonic()
    try:
        users = await asyncio.gather(
            *(_register_and_log_in(api, n) for n in range(USERS))
        )
        spent, _ = await asyncio.gather(
            asyncio.gather(
                *(_spend_everywhere(api, user, n) for n, user in enumerate(users))
            ),
            asyncio.gather(
                *(_refresh_around(api, user, n) for n, user in enumerate(users))
            ),
        )

        # The failed-login limit, counted once across replicas.
        victim = users[0]
        wrong = {"email": victim["email"], "password": "not-the-password-at-all"}
        failed = await asyncio.gather(
            *(
                api.call(n, "POST", "/api/v1/auth/login", json=wrong)
                for n in range(FAILED_LOGINS)
            )
        )

        # A logout on one replica, refused at once by the others.
        user = users[1]
        login = await api.call(
            0,
            "POST",
            "/api/v1/auth/login",
            json={"email": user["email"], "password": PASSWORD},
        )
        token = login.json()["accessToken"]
        before = [
            await api.call(r, "GET", "/api/v1/auth/me", headers=bearer(token))
            for r in range(REPLICAS)
        ]
        logout = await api.call(0, "POST", "/api/v1/auth/logout", headers=bearer(token))
        after = [
            await api.call(r, "GET", "/api/v1/auth/me", headers=bearer(token))
            for r in (1, 2)
        ]
        refresh_after = await api.call(
            2,
            "POST",
            "/api/v1/auth/refresh",
            json={"refreshToken": login.json()["refreshToken"]},
        )
        metrics = [
            parse((await api.call(r, "GET", "/metrics")).text) for r in range(REPLICAS)
        ]
    finally:
        await api.close()
    return {
        "tally": api.tally,
        "seconds": time.monotonic() - started,
        "users": users,
        "spent": list(itertools.chain.from_iterable(spent)),
        "failed": Counter(r.status_code for r in failed),
        "before_logout": [r.status_code for r in before],
        "logout": logout.status_code,
        "after_logout": [r.status_code for r in after],
        "refresh_after_logout": refresh_after.status_code,
        "metrics": metrics,
    }


def test_three_replicas_behind_pgbouncer(
    replicas: tuple[list[Server], str], capsys
) -> None:
    servers, database = replicas
    direct = database_url(database)

    # Started together, migrated once: one replica ran the migrations, the
    # others found them done.
    ran = ["not yet run" in server.output for server in servers]
    assert ran.count(True) == 1, [s.output[-2000:] for s in servers]
    applied = run_sql(direct, APPLIED)
    assert len(applied) == len({(row["app_name"], row["name"]) for row in applied})

    outcome = asyncio.run(_load(servers))
    tally: Tally = outcome["tally"]
    logs = "\n".join(s.output[-3000:] for s in servers)
    assert tally.server_errors == 0 and not tally.transport_errors, (
        tally.statuses,
        tally.transport_errors[:5],
        logs,
    )

    # No key charged twice: one usage row per key, and balances add up.
    spends = USERS * SPENDS_PER_USER
    assert len({t["id"] for t in outcome["spent"]}) == spends
    doubles = run_sql(
        direct,
        "SELECT user_id, idempotency_key FROM credits.transactions "
        "WHERE idempotency_key IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1",
    )
    assert doubles == []
    usage = run_sql(
        direct, "SELECT count(*) AS n FROM credits.transactions WHERE type = 'usage'"
    )
    assert usage[0]["n"] == spends
    balances = run_sql(
        direct, "SELECT balance + free_credits_remaining AS total FROM credits.balances"
    )
    assert {row["total"] for row in balances} == {SIGNUP_BONUS - SPENDS_PER_USER}
    verify = piccolo("mana", "verify_ledger", database_url=direct, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # The failed-login limit holds across replicas, exactly.
    assert outcome["failed"] == {401: LOGIN_LIMIT, 429: FAILED_LOGINS - LOGIN_LIMIT}

    # Logout on replica 0 is refused at once by replicas 1 and 2.
    assert outcome["before_logout"] == [200] * REPLICAS
    assert outcome["logout"] == 200
    assert outcome["after_logout"] == [401, 401]
    assert outcome["refresh_after_logout"] == 401

    # Each replica's /metrics adds up its two workers; together they saw
    # every spend once, replays not counted.
    def total(name: str, **labels: str) -> float:
        return sum(value(samples, name, **labels) for samples in outcome["metrics"])

    assert total("mana_credits_spent_total", app_id="replicas") == spends
    assert total("mana_rate_limited_total", limit="login:account") == (
        FAILED_LOGINS - LOGIN_LIMIT
    )
    assert total("mana_logins_total", outcome="invalid_credentials") == LOGIN_LIMIT

    with capsys.disabled():
        print(
            f"\nthree replicas x 2 workers through PgBouncer: {tally.requests} "
            f"requests in {outcome['seconds']:.1f} s, statuses "
            f"{dict(sorted(tally.statuses.items()))}, {tally.server_errors} server "
            f"errors, {len(tally.transport_errors)} transport errors; "
            f"{spends} spends ({spends * COPIES_PER_SPEND} requests), "
            f"{len(doubles)} keys charged twice; failed logins "
            f"{dict(outcome['failed'])} (limit {LOGIN_LIMIT}); "
            f"ledger check: {verify.stdout.strip().splitlines()[-1]}"
        )
