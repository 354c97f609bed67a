"""HTTP routes under `/api/v1/api-keys`: a user's personal keys, and their
validation by other services."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter

from mana_core_auth.api_keys import authentication, service
from mana_core_auth.api_keys.dependencies import AppKeyHasher
from mana_core_auth.api_keys.schemas import (
    ApiKeyResponse,
    ApiKeyValidationResponse,
    CreateApiKeyRequest,
    CreatedApiKeyResponse,
    ValidateApiKeyRequest,
)
from mana_core_auth.api_keys.scopes import Scope
from mana_core_auth.auth.caller import Caller, allow
from mana_core_auth.auth.principal import Principal
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.dependencies import AppSettings, Client
from mana_core_auth.schemas import MessageResponse, error_responses

router = APIRouter(prefix="/api-keys", tags=["api-keys"])

SESSION_ONLY = (403, "`INSUFFICIENT_SCOPE`: API keys cannot manage keys")


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    """What a list shows of a stored key."""
    return {name: row[name] for name in ApiKeyResponse.model_fields}


@router.post(
    "",
    status_code=201,
    response_model=CreatedApiKeyResponse,
    summary="Make a personal API key; the answer shows it this once",
    responses=error_responses(
        (400, "Invalid request, or `INVALID_API_KEY_REQUEST`: scope or expiry"),
        SESSION_ONLY,
        (409, "`API_KEY_LIMIT_REACHED`: revoke a key first"),
    ),
)
async def create_api_key(
    body: CreateApiKeyRequest,
    principal: Principal,
    settings: AppSettings,
    hasher: AppKeyHasher,
    client: Client,
) -> CreatedApiKeyResponse:
    created = await service.create_personal_key(
        hasher,
        user_id=principal.user_id,
        name=body.name,
        scopes=[scope.value for scope in body.scopes],
        expires_at=body.expires_at,
        now=utc_now(),
        max_keys=settings.api_keys_per_user,
        rate_limit_requests=settings.api_key_rate_limit_requests,
        rate_limit_window_seconds=settings.api_key_rate_limit_window_seconds,
        client=client,
    )
    return CreatedApiKeyResponse(**_listed(created.row), key=created.key.key)


@router.get(
    "",
    response_model=list[ApiKeyResponse],
    summary="The caller's personal API keys (not the keys themselves)",
    responses=error_responses(SESSION_ONLY),
)
async def list_api_keys(principal: Principal) -> list[ApiKeyResponse]:
    rows = await service.list_personal_keys(principal.user_id)
    return [ApiKeyResponse(**_listed(row)) for row in rows]


@router.delete(
    "/{key_id}",
    response_model=MessageResponse,
    summary="Revoke one of the caller's personal API keys, at once",
    responses=error_responses(
        SESSION_ONLY, (404, "`API_KEY_NOT_FOUND`: the caller has no such live key")
    ),
)
async def revoke_api_key(
    key_id: uuid.UUID, principal: Principal, client: Client
) -> MessageResponse:
    await service.revoke_key(
        key_id,
        now=utc_now(),
        revoked_by=f"user:{principal.user_id}",
        owner_id=principal.user_id,
        client=client,
    )
    return MessageResponse(message="API key revoked")


@router.post(
    "/validate",
    response_model=ApiKeyValidationResponse,
    summary="Check a personal API key a user gave another service "
    "(service keys with `auth:validate`)",
    responses=error_responses(
        (403, "`INSUFFICIENT_SCOPE`: not a service key with `auth:validate`"),
    ),
)
async def validate_api_key(
    body: ValidateApiKeyRequest,
    caller: Annotated[Caller, allow(Scope.auth_validate)],
    hasher: AppKeyHasher,
    client: Client,
) -> ApiKeyValidationResponse:
    """`{valid: true, userId, scopes, keyId}` or `{valid: false, error}`;
    429 once the validated key's own rate limit is reached."""
    assert caller.key is not None  # sessions never hold auth:validate
    result = await authentication.validate_personal_key(
        hasher, body.key, scope=body.scope, validated_by=caller.key.id, client=client
    )
    return ApiKeyValidationResponse.model_validate(result)
