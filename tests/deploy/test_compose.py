"""docker-compose.yml: services, health gates, and no secret in the repository."""

from __future__ import annotations

import configparser
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.deploy.support import ROOT

SERVICES = {"postgres", "pgbouncer", "mana-core-auth"}
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?P<operator>:?[-?+])?(?P<rest>[^}]*)\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE_KEY")
URL_PASSWORD = re.compile(r"://[^:/@]+:(?P<password>[^@]*)@")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in service["depends_on"].items()}


def all_values(compose: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for service in compose["services"].values():
        yield from environment(service).items()


def test_services_the_app_needs(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == SERVICES


def test_postgres_16_with_a_named_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].split(":")[1].startswith("16")
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "pg_isready" in str(postgres["healthcheck"]["test"])


def test_every_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert service["healthcheck"]["test"], name
        assert service["restart"] in {"always", "unless-stopped"}, name


def test_services_wait_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert depends_on(services["pgbouncer"]) == {"postgres": "service_healthy"}
    assert depends_on(services["mana-core-auth"]) == {
        "postgres": "service_healthy",
        "pgbouncer": "service_healthy",
    }


def test_app_uses_pgbouncer_and_migrates_directly(compose: dict[str, Any]) -> None:
    app = compose["services"]["mana-core-auth"]
    env = environment(app)
    assert app["build"] == "."
    assert ".env" in str(app["env_file"])
    assert "@pgbouncer:6432/" in env["DATABASE_URL"]
    assert env["DATABASE_STATEMENT_CACHE_SIZE"] == "0"
    assert "@postgres:5432/" in env["MIGRATION_DATABASE_URL"]
    assert "/ready" in str(app["healthcheck"]["test"])


def test_pgbouncer_pools_transactions() -> None:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini")
    assert config["pgbouncer"]["pool_mode"] == "transaction"
    assert "host=postgres" in config["databases"]["*"]


def test_no_secret_values_committed(compose: dict[str, Any]) -> None:
    for key, value in all_values(compose):
        for match in INTERPOLATION.finditer(value):
            if SECRET_NAME.search(match["name"]):
                assert match["operator"] in {None, ":?", "?"}, f"{key} has a default"
        literal = INTERPOLATION.sub("", value)
        if SECRET_NAME.search(key) and not key.endswith("_FILE"):
            assert literal == "", f"{key} is set in the compose file"
        url = URL_PASSWORD.search(INTERPOLATION.sub("${}", value))
        if url:
            assert url["password"] == "${}", f"{key} holds a password"


def test_env_and_secrets_stay_out_of_git_and_the_image() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", ".env", "secrets"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tracked.stdout == ""
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "secrets", ".git", ".venv"} <= set(ignored)
    example = (ROOT / ".env.example").read_text()
    assert not re.search(r"^[#\s]*POSTGRES_PASSWORD=\S", example, re.MULTILINE)
