"""`./manage serve` as a new user runs it: no DATABASE_URL, an embedded
PostgreSQL under DATA_DIR, migrations applied, the admin reachable with a
one-time password, data kept across restarts."""

from __future__ import annotations

import os
import re
import sys
import urllib.request
from pathlib import Path

from tests.database import PROJECT_ROOT
from tests.deploy.support import free_port, http_status, start


def development_env(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "JWT_", "ADMIN_", "RATE_LIMIT_"))
        and key not in {"ENVIRONMENT", "PORT", "HOST"}
    }
    env["DATA_DIR"] = str(data_dir)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def serve(data_dir: Path, port: int):
    return start(
        # What `./manage serve` runs.
        [sys.executable, "-m", "mana_core_auth.commands.serve", f"--port={port}"],
        env=development_env(data_dir),
        port=port,
        cwd=PROJECT_ROOT,
    )


def test_first_run_on_a_fresh_machine(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    server = serve(data_dir, port)
    try:
        server.wait_ready(timeout=120)
        assert http_status(server.url("/health")) == 200
        assert http_status(server.url("/admin/")) == 200
        match = re.search(r"username: admin\s+password: (\S+)", server.output)
        assert match, server.output
        assert (data_dir / "pg" / "PG_VERSION").exists()
        assert re.search(r"Applied \d+ migrations\.", server.output), server.output
        for noise in ("haven't been run", "sys.exit(main())", "already complete"):
            assert noise not in server.output, server.output
        assert f"Serving http://127.0.0.1:{port}/" in server.output
        assert list(data_dir.glob("jwt-signing-key-*.pem"))
        with urllib.request.urlopen(server.url("/.well-known/jwks.json")) as answer:  # noqa: S310
            first_jwks = answer.read()
    finally:
        server.stop()

    again = serve(data_dir, port)
    try:
        again.wait_ready(timeout=120)
        assert "password:" not in again.output, "the admin password is shown once"
        assert "No migrations to run" in again.output
        with urllib.request.urlopen(again.url("/.well-known/jwks.json")) as answer:  # noqa: S310
            assert answer.read() == first_jwks, "the signing key is kept"
    finally:
        again.stop()


def test_serve_bounds_what_uvicorn_buffers_of_headers(monkeypatch) -> None:
    """With h11 (`--http h11`), uvicorn stops buffering an incomplete request
    head at the header limit plus room for the request line."""
    from mana_core_auth.commands import serve as command
    from mana_core_auth.settings import Settings

    async def migrated(url: str) -> int:
        return 0

    async def no_notice(settings: Settings) -> None:
        return None

    started: dict[str, object] = {}
    settings = Settings(max_header_bytes=4096)
    monkeypatch.setattr(command, "get_settings", lambda: settings)
    monkeypatch.setattr(command, "resolve_database_url", lambda s: "postgresql://x/y")
    monkeypatch.setattr(command, "migration_database_url", lambda s: "postgresql://x/y")
    monkeypatch.setattr(command, "run_locked", migrated)
    monkeypatch.setattr(command, "load_key_set", lambda s: None)
    monkeypatch.setattr(command, "_admin_notice", no_notice)
    monkeypatch.setattr(command.uvicorn, "run", lambda app, **kw: started.update(kw))
    monkeypatch.setenv("DATABASE_URL", os.environ["DATABASE_URL"])
    command.serve()
    assert started["h11_max_incomplete_event_size"] == 4096 + 8192
