"""The JSON API under `/api/v1`: a FastAPI app, so that request validation
and `/api/v1/openapi.json` come from the pydantic models."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from mana_core_auth.api_docs import add_offline_docs
from mana_core_auth.api_keys.endpoints import router as api_keys_router
from mana_core_auth.api_keys.keys import load_key_hasher
from mana_core_auth.auth.account.endpoints import router as account_router
from mana_core_auth.auth.email_links.endpoints import router as email_links_router
from mana_core_auth.auth.endpoints import router as auth_router
from mana_core_auth.auth.revocation import RevocationWatch
from mana_core_auth.auth.two_factor.endpoints import router as two_factor_router
from mana_core_auth.credits.endpoints import router as credits_router
from mana_core_auth.credits.payments.endpoints import (
    checkout_router,
    webhook_router,
)
from mana_core_auth.email.mailer import build_mailer
from mana_core_auth.errors import EXCEPTION_HANDLERS
from mana_core_auth.guilds.endpoints import router as guilds_router
from mana_core_auth.guilds.pool_endpoints import router as guild_pool_router
from mana_core_auth.schemas import ErrorResponse
from mana_core_auth.security.session_keys import load_session_keys
from mana_core_auth.security.tokens import TokenService
from mana_core_auth.security.two_factor_keys import load_two_factor_keys
from mana_core_auth.settings import Settings

ERROR_RESPONSES = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "Invalid request"),
        (401, "Missing, invalid or expired credentials"),
        (429, "Too many requests; see Retry-After"),
        (503, "Database unavailable; retry"),
    )
}


def _without_validation_422(api: FastAPI) -> None:
    """FastAPI documents a 422 for every route with a body, but the service
    answers invalid requests with 400 and the error envelope (documented
    above); drop those 422s so the description matches what clients get.
    A route's own 422 (e.g. a reused idempotency key) stays."""
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schema = generate()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.get("responses", {})
                    if "HTTPValidationError" in str(responses.get("422", "")):
                        del responses["422"]
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
        return api.openapi_schema or {}

    api.openapi = openapi  # type: ignore[method-assign]


def build_api(
    settings: Settings,
    tokens: TokenService,
    revocations: RevocationWatch | None = None,
) -> FastAPI:
    api = FastAPI(
        title="Mana Core Auth",
        version="1.0.0",
        summary="Accounts, signed access tokens and mana credits",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        exception_handlers=EXCEPTION_HANDLERS,
        responses=ERROR_RESPONSES,  # type: ignore[arg-type]
    )
    # Routes read these from the app they run in, never from the environment,
    # so that several apps with different settings can share one process.
    api.state.settings = settings
    api.state.tokens = tokens
    # None, or not yet listening: sessions are checked in the database.
    api.state.revocations = revocations
    api.state.mailer = build_mailer(settings)
    api.state.two_factor_keys = load_two_factor_keys(settings)
    api.state.api_key_hasher = load_key_hasher(settings)
    api.state.session_keys = load_session_keys(settings)
    api.include_router(auth_router)
    api.include_router(email_links_router)
    api.include_router(account_router)
    api.include_router(two_factor_router)
    api.include_router(credits_router)
    api.include_router(checkout_router)
    api.include_router(webhook_router)
    api.include_router(api_keys_router)
    api.include_router(guilds_router)
    api.include_router(guild_pool_router)
    _without_validation_422(api)
    add_offline_docs(api, title="Mana Core Auth")
    return api
