"""Helpers for running the entrypoint, PgBouncer and the image on loopback."""

from __future__ import annotations

import asyncio
import configparser
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
STARTUP_LINES = (
    "Running database migrations...",
    "Migrations complete",
    "Starting Mana Core Auth...",
)
READY_TIMEOUT = 90.0
# The password of the `postgres` role in PgBouncer's auth file, and of the
# users the tests register.
PASSWORD = "correct-horse-battery-staple-42"
PGBOUNCER_INI = ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini"


def run_sql(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    async def fetch() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(url, timeout=5)
        try:
            return await connection.fetch(query, *args)
        finally:
            await connection.close()

    return asyncio.run(fetch())


def database_url(name: str, *, port: int = 5432, password: str = "") -> str:
    user = f"postgres:{password}" if password else "postgres"
    return f"postgresql://{user}@127.0.0.1:{port}/{name}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def ed25519_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def app_env(**settings: str) -> dict[str, str]:
    """The environment for the app: this machine's, minus any app settings,
    plus `settings`."""
    prefixes = ("DATABASE_", "MIGRATION_", "JWT_", "ADMIN_", "PICCOLO_", "TOTP_")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(prefixes)
        and key not in {"ENVIRONMENT", "PORT", "HOST", "WEB_CONCURRENCY"}
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        ENVIRONMENT="production",
        JWT_PRIVATE_KEY=ed25519_pem(),
        ADMIN_ALLOWED_HOSTS="localhost",
        TOTP_ENCRYPTION_KEY=Fernet.generate_key().decode(),
    )
    env.update(settings)
    return env


@dataclass
class Server:
    """A process writing to one pipe, read into `lines` by a thread."""

    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        assert self.process.stdout is not None
        stdout = self.process.stdout
        threading.Thread(target=lambda: self.lines.extend(stdout), daemon=True).start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Seconds until `/ready` answered 200; fails if the process exits."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if http_status(self.url("/ready")) == 200:
                return time.monotonic() - started
            if self.process.poll() is not None:
                pytest.fail(f"exited with {self.process.returncode}:\n{self.output}")
            time.sleep(0.2)
        pytest.fail(f"/ready did not answer 200 within {timeout} s:\n{self.output}")

    def wait_exit(self, timeout: float = READY_TIMEOUT) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"still running after {timeout} s:\n{self.output}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def start(command: list[str], *, env: dict[str, str], port: int, cwd: Path) -> Server:
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return Server(process, port)


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if found is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    return found


def wait_for_port(server: Server, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"pgbouncer exited:\n{server.output}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", server.port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"pgbouncer did not listen within {timeout} s:\n{server.output}")


def pgbouncer_config(directory: Path, port: int, *, pool_size: int) -> Path:
    """The deployed config, with only addresses, port, auth file and pool
    size changed: `pool_size` server connections per database, no reserve."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(PGBOUNCER_INI)
    assert config["pgbouncer"]["pool_mode"] == "transaction"
    config["databases"] = {"*": "host=127.0.0.1 port=5432"}
    config["pgbouncer"].update(
        listen_addr="127.0.0.1",
        listen_port=str(port),
        auth_file=str(directory / "userlist.txt"),
        default_pool_size=str(pool_size),
        reserve_pool_size="0",
    )
    (directory / "userlist.txt").write_text(f'"postgres" "{PASSWORD}"\n')
    path = directory / "pgbouncer.ini"
    with path.open("w") as file:
        config.write(file)
    for item in (directory, *directory.iterdir()):
        item.chmod(0o755 if item.is_dir() else 0o644)
    return path


class Api(httpx.Client):
    """A client of the app that shows the app's log when an answer is wrong."""

    def __init__(self, server: Server, database: str = "") -> None:
        super().__init__(base_url=server.url(""), timeout=30)
        self.server = server
        self.database = database

    def answer(self, response: httpx.Response, *statuses: int) -> dict[str, Any]:
        request = response.request
        if response.status_code == 404:
            pytest.skip(f"{request.method} {request.url.path} answers 404: not built")
        assert response.status_code in statuses, (
            f"{request.method} {request.url.path}: {response.text}\n"
            f"app log:\n{self.server.output[-4000:]}"
        )
        result: dict[str, Any] = response.json()
        return result
