"""`piccolo mana create_api_key`, `list_api_keys` and `revoke_api_key`:
service keys for app backends, from the operator's shell."""

from __future__ import annotations

import sys
import uuid
from datetime import timedelta

from mana_core_auth.api_keys.keys import load_key_hasher
from mana_core_auth.api_keys.service import (
    create_service_key,
    list_keys,
    revoke_key,
)
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.errors import AppError
from mana_core_auth.settings import get_settings


async def create_api_key(
    name: str,
    scopes: str,
    app_id: str = "",
    rate_limit: int = 0,
    rate_limit_window_seconds: int = 60,
    expires_in_days: int = 0,
) -> None:
    """
    Make a service key for an app's backend. The key is printed once, on
    the last line; only its keyed hash is stored.

    :param name:
        What the key is for, e.g. chat.
    :param scopes:
        Comma-separated: credits:spend, credits:refund, auth:validate.
    :param app_id:
        The app it acts for (idempotency keys are scoped to it); the name
        if left out.
    :param rate_limit:
        Requests per window; 0 (the default) for no limit.
    :param rate_limit_window_seconds:
        The rate limit's window.
    :param expires_in_days:
        Days until it stops working; 0 (the default) for never.
    """
    now = utc_now()
    try:
        created = await create_service_key(
            load_key_hasher(get_settings()),
            name=name,
            app_id=app_id.strip() or name,
            scopes=[scope for scope in scopes.split(",") if scope.strip()],
            now=now,
            rate_limit_requests=rate_limit or None,
            rate_limit_window_seconds=rate_limit_window_seconds,
            expires_at=now + timedelta(days=expires_in_days)
            if expires_in_days
            else None,
            created_by="piccolo mana create_api_key",
        )
    except AppError as error:
        sys.exit(f"Not created: {error.message}")
    row = created.row
    print(
        f"Service key {row['id']} for {row['app_id']} "
        f"({', '.join(row['scopes'])}), prefix {row['prefix']}."
    )
    print("Store it now; it is not shown again:")
    print(created.key.key)


async def list_api_keys(include_revoked: bool = False) -> None:
    """
    List API keys (never the keys themselves), newest first.

    :param include_revoked:
        List revoked keys too.
    """
    rows = await list_keys(include_revoked=include_revoked)
    for row in rows:
        owner = row["app_id"] if row["kind"] == "service" else f"user {row['user_id']}"
        state = "revoked" if row["revoked_at"] else "live"
        if (
            not row["revoked_at"]
            and row["expires_at"]
            and row["expires_at"] <= utc_now()
        ):
            state = "expired"
        last_used = row["last_used_at"].isoformat() if row["last_used_at"] else "never"
        print(
            f"{row['id']}  {row['prefix']}…  {row['kind']:8}  {state:7}  "
            f"{row['name']} ({owner})  {','.join(row['scopes'])}  last used {last_used}"
        )
    print(f"{len(rows)} keys.")


async def revoke_api_key(key_id: str) -> None:
    """
    Revoke an API key (service or personal): refused from the next request
    on, by every worker and replica.

    :param key_id:
        The key's id (see list_api_keys).
    """
    try:
        row = await revoke_key(
            uuid.UUID(key_id), now=utc_now(), revoked_by="piccolo mana revoke_api_key"
        )
    except ValueError:
        sys.exit(f"Not revoked: {key_id!r} is not a key id")
    except AppError as error:
        sys.exit(f"Not revoked: {error.message}")
    print(f"Revoked {row['kind']} key {row['prefix']}… ({row['name']}).")
