"""The image, built with podman and run against the machine's PostgreSQL.

Built on a Debian base made with debootstrap (no registry is reachable here),
as `../shared/reference/containers-here.md` describes, and run with host
networking, listening on loopback only.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.deploy.support import (
    READY_TIMEOUT,
    ROOT,
    STARTUP_LINES,
    database_url,
    ed25519_pem,
    free_port,
    http_status,
)

pytestmark = pytest.mark.slow

BASE_IMAGE = "localhost/debian-python:bookworm"
IMAGE = "localhost/mana-core-auth:test"
PGBOUNCER_IMAGE = "localhost/mana-core-auth-pgbouncer:test"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# What podman needs in this sandbox; the app listens on loopback only.
SANDBOX_FLAGS = ("--ulimit=nofile=1024:1024", "--ulimit=nproc=1024:1024")


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin")
    if found is None:
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return found


def podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("podman"), "--runtime", tool("runc"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@dataclass
class Container:
    name: str
    port: int
    seconds_to_ready: float

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def exec(self, *command: str) -> str:
        return succeeded(podman("exec", self.name, *command))


@pytest.fixture(scope="module")
def base_image() -> str:
    if os.geteuid() != 0 and podman("image", "exists", BASE_IMAGE).returncode != 0:
        pytest.skip(f"building {BASE_IMAGE} with debootstrap needs root")
    return ensure_base_image()


def ensure_base_image() -> str:
    """The local Debian base image, made with debootstrap the first time."""
    if podman("image", "exists", BASE_IMAGE).returncode == 0:
        return BASE_IMAGE
    debootstrap = tool("debootstrap")
    rootfs = Path(tempfile.mkdtemp(prefix="mca-rootfs-"))
    try:
        packages = "--include=python3,python3-venv,python3-pip,ca-certificates"
        subprocess.run(
            [debootstrap, "--variant=minbase", packages, "bookworm", str(rootfs)],
            check=True,
            capture_output=True,
            timeout=900,
        )
        tar = subprocess.Popen(
            ["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE
        )
        subprocess.run(
            [tool("podman"), "import", "-", BASE_IMAGE],
            stdin=tar.stdout,
            check=True,
            capture_output=True,
            timeout=300,
        )
        assert tar.wait(60) == 0
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    return BASE_IMAGE


def build(context: Path, tag: str, base_image: str) -> str:
    # The CA bundle reaches pip as a build secret: it is in no layer.
    secret = [f"--secret=id=ca,src={CA_BUNDLE}"] if CA_BUNDLE.exists() else []
    succeeded(
        podman(
            "build",
            "--network=host",
            *SANDBOX_FLAGS,
            "--format=docker",
            f"--build-arg=BASE_IMAGE={base_image}",
            *secret,
            f"--tag={tag}",
            str(context),
            timeout=1200,
        )
    )
    return tag


@pytest.fixture(scope="module")
def image(base_image: str) -> str:
    return build(ROOT, IMAGE, base_image)


@pytest.fixture(scope="module")
def container(image: str, make_database: Callable[[], str]) -> Iterator[Container]:
    with running_container(image, database_url(make_database())) as running:
        yield running


@contextmanager
def running_container(image: str, database: str) -> Iterator[Container]:
    """The image started as production starts it, once `/ready` answers 200."""
    name = f"mca-test-{secrets.token_hex(4)}"
    port = free_port()
    settings = {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database,
        "JWT_PRIVATE_KEY": ed25519_pem(),
        "ADMIN_ALLOWED_HOSTS": "localhost",
        "TOTP_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    env = [f"--env={key}={value}" for key, value in settings.items()]
    started = time.monotonic()
    succeeded(
        podman(
            "run",
            "--detach",
            f"--name={name}",
            "--network=host",
            *SANDBOX_FLAGS,
            *env,
            image,
        )
    )
    try:
        while http_status(f"http://127.0.0.1:{port}/ready") != 200:
            running = podman("inspect", "--format={{.State.Running}}", name)
            if running.stdout.strip() != "true":
                raise AssertionError(
                    f"container stopped:\n{podman('logs', name).stdout}"
                )
            if time.monotonic() - started > READY_TIMEOUT:
                raise AssertionError(
                    f"/ready not 200 in time:\n{podman('logs', name).stdout}"
                )
            time.sleep(0.2)
        yield Container(name, port, time.monotonic() - started)
    finally:
        podman("rm", "--force", "--time=10", name)


def test_logs_show_the_startup_lines(container: Container) -> None:
    logs = podman("logs", container.name)
    lines = [line.strip() for line in (logs.stdout + logs.stderr).splitlines()]
    assert [line for line in lines if line in STARTUP_LINES] == list(STARTUP_LINES)


def test_health_and_ready_answer(container: Container) -> None:
    assert http_status(container.url("/health")) == 200
    assert http_status(container.url("/ready")) == 200
    assert podman("healthcheck", "run", container.name).returncode == 0


def test_uvicorn_is_pid_1_and_not_root(container: Container) -> None:
    status = container.exec("cat", "/proc/1/status")
    uids = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert uids.split()[1:] == ["10001"] * 4
    assert "uvicorn" in container.exec("cat", "/proc/1/cmdline")


def test_image_config(image: str) -> None:
    config = succeeded(
        podman(
            "image",
            "inspect",
            "--format={{.Config.User}} {{.Config.ExposedPorts}} "
            "{{.Config.Healthcheck.Test}}",
            image,
        )
    )
    assert config.startswith("app:app ")
    assert "3001/tcp" in config
    assert "/health" in config


def test_no_build_leftovers(image: str) -> None:
    leftovers = (
        "/opt/venv/bin/pip",
        "/root/.cache/pip",
        "/tmp/requirements.lock",  # noqa: S108
        "/run/secrets/ca",
        "/app/.venv",
        "/app/.git",
        "/app/.env",
        "/app/tests",
        "/usr/bin/gcc",
    )
    result = podman(
        "run",
        "--rm",
        "--network=none",
        *SANDBOX_FLAGS,
        "--entrypoint=sh",
        image,
        "-c",
        'for path in "$@"; do [ ! -e "$path" ] || echo "$path"; done',
        "sh",
        *leftovers,
    )
    assert succeeded(result).split() == []


def test_pgbouncer_image_starts_healthy(base_image: str) -> None:
    image = build(ROOT / "deploy" / "pgbouncer", PGBOUNCER_IMAGE, base_image)
    name = f"mca-test-pgbouncer-{secrets.token_hex(4)}"
    password = 'correct-horse "battery" staple-42'
    succeeded(
        podman(
            "run",
            "--detach",
            f"--name={name}",
            "--network=none",
            *SANDBOX_FLAGS,
            "--env=PGBOUNCER_USER=mana",
            f"--env=PGBOUNCER_PASSWORD={password}",
            image,
        )
    )
    try:
        deadline = time.monotonic() + 30
        while podman("healthcheck", "run", name).returncode != 0:
            if time.monotonic() > deadline:
                pytest.fail(f"pgbouncer not healthy:\n{podman('logs', name).stderr}")
            time.sleep(0.5)
        userlist = succeeded(podman("exec", name, "cat", "/etc/pgbouncer/userlist.txt"))
        assert userlist == '"mana" "correct-horse ""battery"" staple-42"\n'
        assert succeeded(podman("exec", name, "id", "-u")).strip() != "0"
    finally:
        podman("rm", "--force", "--time=5", name)
