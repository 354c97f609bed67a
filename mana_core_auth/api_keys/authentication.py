"""Authenticating API keys, and validating a personal key for another
service.

Authenticating is one statement: an indexed lookup by the key's hash (no
cache, so a revocation holds at once on every worker and replica), which
also notes the key's use at most once a minute. A key with a rate limit
then counts the request in PostgreSQL (`auth.rate_limits`' counters), so
the limit holds across workers too. Every refused use is an
`api_key_rejected` event; no event or log line holds a key or its hash.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from auth_tables.tables import ApiKeyKind, SecurityEventType
from mana_core_auth.api_keys.errors import InvalidApiKey
from mana_core_auth.api_keys.keys import KeyHasher, looks_like_key, parse_key
from mana_core_auth.api_keys.scopes import Scope, stored_scopes
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.rate_limits import Limit, count_attempt
from mana_core_auth.errors import TooManyRequests
from mana_core_auth.sql import fetch_one

# Noting each use would write the key's row on every request; once a minute
# says as much to a person and costs nothing in between.
LAST_USED_RESOLUTION = "1 minute"


@dataclass(frozen=True)
class ApiKeyIdentity:
    """A key that authenticated: what it is and what it may do."""

    id: uuid.UUID
    kind: ApiKeyKind
    name: str
    prefix: str
    app_id: str | None
    user_id: uuid.UUID | None
    scopes: frozenset[Scope]
    rate_limit: Limit | None


# $1 the key's hash. The lookup is by the unique index on key_hash; the
# owner's row (personal keys) by its primary key.
_AUTHENTICATE = f"""
WITH found AS MATERIALIZED (
    SELECT k.id, k.kind, k.name, k.prefix, k.app_id, k.user_id, k.scopes,
           k.rate_limit_requests, k.rate_limit_window_seconds,
           CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
                WHEN k.expires_at IS NOT NULL AND k.expires_at <= now() THEN 'expired'
                WHEN owner.deleted_at IS NOT NULL THEN 'owner_deleted'
           END AS refusal
    FROM auth.api_keys AS k
    LEFT JOIN auth.users AS owner ON owner.id = k.user_id
    WHERE k.key_hash = $1::varchar
),
noted AS (
    UPDATE auth.api_keys AS k SET last_used_at = now()
    FROM found
    WHERE k.id = found.id AND found.refusal IS NULL
      AND (k.last_used_at IS NULL
           OR k.last_used_at < now() - interval '{LAST_USED_RESOLUTION}')
)
SELECT * FROM found
"""  # noqa: S608 (LAST_USED_RESOLUTION is a constant)

_REFUSALS = {
    "revoked": "This API key was revoked",
    "expired": "This API key has expired",
    "owner_deleted": InvalidApiKey.message,
}


async def authenticate_key(
    hasher: KeyHasher, presented: str, client: ClientInfo, **context: Any
) -> ApiKeyIdentity:
    """The key `presented` is, if it may be used now.

    :raises InvalidApiKey: if it is malformed, unknown, revoked or expired,
        or its user is deleted (recorded as `api_key_rejected`).
    """
    if parse_key(presented) is None:
        await _record_rejection(
            client, "unknown", kind=looks_like_key(presented), **context
        )
        raise InvalidApiKey()
    row = await fetch_one(_AUTHENTICATE, hasher.digest(presented))
    if row is None:
        await _record_rejection(
            client, "unknown", kind=looks_like_key(presented), **context
        )
        raise InvalidApiKey()
    identity = _identity(row)
    if row["refusal"] is not None:
        await record_rejection(identity, client, row["refusal"], **context)
        raise InvalidApiKey(_REFUSALS[row["refusal"]])
    return identity


async def count_use(identity: ApiKeyIdentity) -> None:
    """Count one request against the key's own rate limit, if it has one.

    :raises TooManyRequests: once the key's requests in this window exceed it.
    """
    if identity.rate_limit is None:
        return
    try:
        await count_attempt(identity.rate_limit)
    except TooManyRequests as error:
        raise TooManyRequests(
            error.retry_after_seconds, "This API key's rate limit is reached"
        ) from None


async def record_rejection(
    identity: ApiKeyIdentity, client: ClientInfo, reason: str, **context: Any
) -> None:
    """An `api_key_rejected` event for a known key (the owner sees it)."""
    await _record_rejection(
        client,
        reason,
        kind=identity.kind,
        user_id=identity.user_id,
        keyId=str(identity.id),
        keyPrefix=identity.prefix,
        **context,
    )


async def _record_rejection(
    client: ClientInfo,
    reason: str,
    *,
    kind: ApiKeyKind | None,
    user_id: uuid.UUID | None = None,
    **metadata: Any,
) -> None:
    await record_event(
        SecurityEventType.api_key_rejected,
        user_id=user_id,
        client=client,
        reason=reason,
        keyKind=kind.value if kind else None,
        **metadata,
    )


def _identity(row: Any) -> ApiKeyIdentity:
    limit = None
    if row["rate_limit_requests"] is not None:
        limit = Limit(
            f"api_key:requests:{row['id']}",
            row["rate_limit_requests"],
            row["rate_limit_window_seconds"],
        )
    return ApiKeyIdentity(
        id=row["id"],
        kind=ApiKeyKind(row["kind"]),
        name=row["name"],
        prefix=row["prefix"],
        app_id=row["app_id"],
        user_id=row["user_id"],
        scopes=stored_scopes(row["scopes"]),
        rate_limit=limit,
    )


@dataclass(frozen=True)
class KeyValidation:
    valid: bool
    user_id: uuid.UUID | None = None
    scopes: list[Scope] | None = None
    key_id: uuid.UUID | None = None
    error: str | None = None


async def validate_personal_key(
    hasher: KeyHasher,
    presented: str,
    *,
    scope: Scope | None,
    validated_by: uuid.UUID,
    client: ClientInfo,
) -> KeyValidation:
    """Whether `presented` is a usable personal key (with `scope`, if
    given), for another service that was handed it. Counts against the
    key's own rate limit.

    :raises TooManyRequests: if the key's rate limit is reached.
    """
    context: dict[str, Any] = {"validatedBy": str(validated_by)}
    if looks_like_key(presented) is not ApiKeyKind.personal:
        await _record_rejection(
            client, "not_personal", kind=looks_like_key(presented), **context
        )
        return KeyValidation(valid=False, error="Not a personal API key")
    try:
        identity = await authenticate_key(hasher, presented, client, **context)
    except InvalidApiKey as error:
        return KeyValidation(valid=False, error=error.message)
    await count_use(identity)
    if scope is not None and scope not in identity.scopes:
        await record_rejection(
            identity, client, "insufficient_scope", scope=scope.value, **context
        )
        return KeyValidation(
            valid=False, error=f"The key does not have the scope {scope.value}"
        )
    return KeyValidation(
        valid=True,
        user_id=identity.user_id,
        scopes=[s for s in Scope if s in identity.scopes],
        key_id=identity.id,
    )
