"""Routes of an account's end under `/api/v1/auth`: deleting it and taking
its data away."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from mana_core_auth.auth.account.deletion import delete_account
from mana_core_auth.auth.account.export import export_account
from mana_core_auth.auth.principal import Principal
from mana_core_auth.auth.schemas import (
    AccountExport,
    DeleteAccountRequest,
    SessionsEnded,
)
from mana_core_auth.dependencies import AppSettings, Client

router = APIRouter(prefix="/auth", tags=["account"])


@router.delete(
    "/account",
    response_model=SessionsEnded,
    summary="Delete the caller's account (password required); every session "
    "ends, the credit ledger is kept",
)
async def delete_account_route(
    body: DeleteAccountRequest,
    principal: Principal,
    settings: AppSettings,
    client: Client,
) -> SessionsEnded:
    ended = await delete_account(
        user_id=principal.user_id,
        email=principal.email,
        password=body.password,
        client=client,
        settings=settings,
    )
    return SessionsEnded(message="Account deleted", revoked_sessions=ended)


@router.get(
    "/account/export",
    response_model=AccountExport,
    summary="Everything the service holds about the caller, as JSON",
)
async def export_account_route(principal: Principal, client: Client) -> dict[str, Any]:
    return await export_account(principal.user_id, client)
