from __future__ import annotations

import asyncio
import os
import secrets
import sys

import uvicorn
from piccolo.apps.user.tables import BaseUser

from mana_core_auth.database import resolve_database_url
from mana_core_auth.header_limit import server_header_allowance
from mana_core_auth.migrations.lock import migration_database_url, run_locked
from mana_core_auth.observability.metrics_dir import use_fresh_metrics_dir
from mana_core_auth.security.keys import load_key_set
from mana_core_auth.settings import Settings, get_settings


async def _admin_notice(settings: Settings) -> str | None:
    """In development on the embedded database, create the first admin with
    a random password; elsewhere only say how to create one."""
    if await BaseUser.exists().where(BaseUser.admin.eq(True)):
        return None
    if settings.is_development and settings.uses_embedded_database:
        password = secrets.token_urlsafe(18)
        await BaseUser.create_user(
            username="admin",
            password=password,
            email="admin@localhost",
            active=True,
            admin=True,
            superuser=True,
        )
        return (
            "Created the development admin for /admin/ (shown only now):\n"
            f"    username: admin\n    password: {password}"
        )
    return (
        "No admin account exists. Create one with:\n"
        "    piccolo user create --username=... --email=... --password=... "
        "--is_admin=t --is_superuser=t --is_active=t"
    )


def serve(host: str | None = None, port: int | None = None, workers: int = 0) -> None:
    """
    Apply pending migrations, then serve the API and the admin.

    :param host: address to bind (default: HOST, 127.0.0.1).
    :param port: port (default: PORT, 3001).
    :param workers: uvicorn worker processes (default: WEB_CONCURRENCY, 1).
    """
    settings = get_settings()
    database_url = resolve_database_url(settings)
    where = (
        f"the embedded PostgreSQL in {settings.data_dir / 'pg'}"
        if settings.uses_embedded_database
        else "DATABASE_URL"
    )
    print(f"Database: {where}", flush=True)
    status = asyncio.run(run_locked(migration_database_url(settings)))
    if status != 0:
        print("Migrations failed; not starting the server.", file=sys.stderr)
        sys.exit(status)
    load_key_set(settings)  # creates the development key once, before workers
    notice = asyncio.run(_admin_notice(settings))
    if notice:
        print(notice, flush=True)
    # Workers reach the same server without starting their own, and read
    # how many they are (password hashing shares the cores).
    os.environ["DATABASE_URL"] = database_url
    workers = workers or settings.web_concurrency
    os.environ["WEB_CONCURRENCY"] = str(workers)
    use_fresh_metrics_dir()
    host, port = host or settings.host, port or settings.port
    print(f"Serving http://{host}:{port}/ (admin: /admin/, API docs: /api/v1/docs)")
    uvicorn.run(
        "main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level,
        h11_max_incomplete_event_size=server_header_allowance(
            settings.max_header_bytes
        ),
    )


if __name__ == "__main__":
    # `./manage serve`: the same command without Piccolo's CLI, which would
    # warn about pending migrations that this is about to apply.
    from targ import CLI

    cli = CLI(description="Mana Core Auth")
    cli.register(serve)
    cli.run(solo=True)
