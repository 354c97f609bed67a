"""What a worker imports to start and answer the API: neither the admin,
the Stripe SDK, the SMTP client, the QR code writer, nor Piccolo's app
registry and migration machinery (with black): together they cost each
worker ~0.8 s of its start and ~35 MB. Each is imported where it is used."""

from __future__ import annotations

import subprocess
import sys

from tests.database import PROJECT_ROOT

NOT_AT_START = (
    "piccolo_admin",
    "piccolo_api",
    "stripe",
    "aiosmtplib",
    "segno",
    "piccolo.conf.apps",
    "black",
)

START_AND_QUERY = """
import asyncio, sys
import main
from auth_tables.tables import User
from mana_core_auth.sql import engine

async def start_and_query():
    db = engine()
    await db.start_connection_pool(min_size=1, max_size=1)
    try:
        await User.count()
    finally:
        await db.close_connection_pool()

asyncio.run(start_and_query())
print(" ".join(sorted(sys.modules)))
"""


def test_a_worker_starts_and_queries_without_what_it_does_not_use() -> None:
    result = subprocess.run(
        [sys.executable, "-c", START_AND_QUERY],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    imported = set(result.stdout.split())
    assert "main" in imported
    assert sorted(name for name in NOT_AT_START if name in imported) == []
