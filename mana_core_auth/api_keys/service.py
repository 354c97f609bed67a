"""Making, listing and revoking API keys. Creating and revoking one are
security events (`api_key_created`, `api_key_revoked`), which name the key
by id and prefix, never by the key or its hash."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auth_tables.tables import ApiKey, ApiKeyKind, SecurityEventType
from mana_core_auth.api_keys.errors import (
    ApiKeyLimitReached,
    ApiKeyNotFound,
    InvalidApiKeyRequest,
)
from mana_core_auth.api_keys.keys import KeyHasher, NewKey, generate_key
from mana_core_auth.api_keys.scopes import parse_scopes
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.events import record_event
from mana_core_auth.errors import Unauthorized
from mana_core_auth.sql import fetch, fetch_one

NO_CLIENT = ClientInfo(ip_address=None, user_agent=None)

# Columns a list shows; never the hash.
SUMMARY_COLUMNS = (
    ApiKey.id,
    ApiKey.kind,
    ApiKey.name,
    ApiKey.app_id,
    ApiKey.user,
    ApiKey.prefix,
    ApiKey.scopes,
    ApiKey.rate_limit_requests,
    ApiKey.rate_limit_window_seconds,
    ApiKey.created_by,
    ApiKey.created_at,
    ApiKey.last_used_at,
    ApiKey.expires_at,
    ApiKey.revoked_at,
)


@dataclass(frozen=True)
class CreatedKey:
    """A new key: shown to its maker once, never stored."""

    key: NewKey
    row: dict[str, Any]


# --------------------------------------------------------------- creating
def _checked_scopes(values: list[str], kind: ApiKeyKind) -> list[str]:
    try:
        return [scope.value for scope in parse_scopes(values, kind)]
    except ValueError as error:
        raise InvalidApiKeyRequest(str(error)) from None


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise InvalidApiKeyRequest("`expiresAt` must be in the future")


async def _insert(key: NewKey, hasher: KeyHasher, **columns: Any) -> dict[str, Any]:
    rows = await ApiKey.insert(
        ApiKey(prefix=key.prefix, key_hash=hasher.digest(key.key), **columns)
    ).returning(*SUMMARY_COLUMNS)
    return rows[0]


async def create_service_key(
    hasher: KeyHasher,
    *,
    name: str,
    app_id: str,
    scopes: list[str],
    now: datetime,
    rate_limit_requests: int | None = None,
    rate_limit_window_seconds: int = 60,
    expires_at: datetime | None = None,
    created_by: str,
    client: ClientInfo = NO_CLIENT,
) -> CreatedKey:
    """A new key for an app's backend.

    :raises InvalidApiKeyRequest: for scopes a service key cannot have, a
        past expiry or a rate limit below 1.
    """
    checked = _checked_scopes(scopes, ApiKeyKind.service)
    _check_expiry(expires_at, now)
    if not name.strip() or not app_id.strip():
        raise InvalidApiKeyRequest("a service key needs a name and an app id")
    if rate_limit_requests is not None and rate_limit_requests < 1:
        raise InvalidApiKeyRequest("a rate limit is at least 1 request")
    if rate_limit_window_seconds < 1:
        raise InvalidApiKeyRequest("a rate limit window is at least 1 second")
    key = generate_key(ApiKeyKind.service)
    async with ApiKey._meta.db.transaction():
        row = await _insert(
            key,
            hasher,
            kind=ApiKeyKind.service,
            name=name.strip(),
            app_id=app_id.strip(),
            scopes=checked,
            rate_limit_requests=rate_limit_requests,
            rate_limit_window_seconds=rate_limit_window_seconds,
            expires_at=expires_at,
            created_by=created_by,
            created_at=now,
        )
        await _record_change(SecurityEventType.api_key_created, row, client)
    return CreatedKey(key=key, row=row)


_LOCK_LIVE_USER = """
SELECT id FROM auth.users WHERE id = $1::uuid AND deleted_at IS NULL
FOR NO KEY UPDATE
"""

_LIVE_PERSONAL_KEYS = """
SELECT count(*) AS live FROM auth.api_keys
WHERE user_id = $1::uuid AND kind = 'personal' AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > $2::timestamptz)
"""


async def create_personal_key(
    hasher: KeyHasher,
    *,
    user_id: uuid.UUID,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
    now: datetime,
    max_keys: int,
    rate_limit_requests: int,
    rate_limit_window_seconds: int,
    client: ClientInfo,
) -> CreatedKey:
    """A new key of the user's own, with the configured rate limit.

    :raises InvalidApiKeyRequest: for scopes a personal key cannot have or
        a past expiry.
    :raises ApiKeyLimitReached: if the user has `max_keys` live keys.
    :raises Unauthorized: if the user is deleted.
    """
    checked = _checked_scopes(scopes, ApiKeyKind.personal)
    _check_expiry(expires_at, now)
    key = generate_key(ApiKeyKind.personal)
    async with ApiKey._meta.db.transaction():
        # Concurrent requests of one user take turns here, so none can slip
        # past the count; logins (which only reference the row) go on.
        if await fetch_one(_LOCK_LIVE_USER, user_id) is None:
            raise Unauthorized("Account not found")
        counted = await fetch_one(_LIVE_PERSONAL_KEYS, user_id, now)
        assert counted is not None
        if counted["live"] >= max_keys:
            raise ApiKeyLimitReached(
                f"At most {max_keys} API keys per user; revoke one first"
            )
        row = await _insert(
            key,
            hasher,
            kind=ApiKeyKind.personal,
            name=name.strip() or "API key",
            user=user_id,
            scopes=checked,
            rate_limit_requests=rate_limit_requests,
            rate_limit_window_seconds=rate_limit_window_seconds,
            expires_at=expires_at,
            created_by=f"user:{user_id}",
            created_at=now,
        )
        await _record_change(SecurityEventType.api_key_created, row, client)
    return CreatedKey(key=key, row=row)


async def _record_change(
    event: SecurityEventType, row: dict[str, Any], client: ClientInfo, **extra: Any
) -> None:
    await record_event(
        event,
        user_id=row["user_id"],
        client=client,
        keyId=str(row["id"]),
        keyKind=row["kind"],
        keyPrefix=row["prefix"],
        name=row["name"],
        appId=row["app_id"],
        scopes=list(row["scopes"]),
        **extra,
    )


# --------------------------------------------------------------- listing
async def list_personal_keys(user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The user's keys that are not revoked (expired ones too), newest first."""
    return await (
        ApiKey.select(*SUMMARY_COLUMNS)
        .where(
            (ApiKey.user == user_id)
            & (ApiKey.kind == ApiKeyKind.personal)
            & ApiKey.revoked_at.is_null()
        )
        .order_by(ApiKey.created_at, ascending=False)
    )


async def list_keys(*, include_revoked: bool = False) -> list[dict[str, Any]]:
    """Every key (for operators), newest first."""
    query = ApiKey.select(*SUMMARY_COLUMNS).order_by(ApiKey.created_at, ascending=False)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_null())
    return await query


# --------------------------------------------------------------- revoking
_REVOKE = f"""
UPDATE auth.api_keys SET revoked_at = $2::timestamptz
WHERE id = $1::uuid AND revoked_at IS NULL
  AND ($3::uuid IS NULL OR (user_id = $3::uuid AND kind = 'personal'))
RETURNING {", ".join(column._meta.db_column_name for column in SUMMARY_COLUMNS)}
"""  # noqa: S608 (the column names are constants)


async def revoke_key(
    key_id: uuid.UUID,
    *,
    now: datetime,
    revoked_by: str,
    owner_id: uuid.UUID | None = None,
    client: ClientInfo = NO_CLIENT,
) -> dict[str, Any]:
    """Revoke a key; with `owner_id`, only that user's personal key. The
    next request with it, on any worker, is refused.

    :raises ApiKeyNotFound: if there is no such live key (of that owner).
    """
    async with ApiKey._meta.db.transaction():
        rows = await fetch(_REVOKE, key_id, now, owner_id)
        if not rows:
            raise ApiKeyNotFound()
        row = dict(rows[0])
        await _record_change(
            SecurityEventType.api_key_revoked, row, client, revokedBy=revoked_by
        )
    return row
