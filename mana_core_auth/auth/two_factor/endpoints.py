"""Two-factor routes under `/api/v1/auth/2fa`."""

from __future__ import annotations

from fastapi import APIRouter

from mana_core_auth.auth.dependencies import AppTwoFactorKeys
from mana_core_auth.auth.endpoints import token_response
from mana_core_auth.auth.principal import Principal
from mana_core_auth.auth.schemas import (
    BackupCodesResponse,
    DisableTwoFactorRequest,
    EnableTwoFactorRequest,
    TokenResponse,
    TwoFactorSetupResponse,
    VerifyTwoFactorRequest,
)
from mana_core_auth.auth.token_pair import issue_tokens
from mana_core_auth.auth.two_factor import enrolment
from mana_core_auth.auth.two_factor.login import complete_login
from mana_core_auth.dependencies import AppSettings, Client, Tokens
from mana_core_auth.schemas import MessageResponse, error_responses

router = APIRouter(prefix="/auth/2fa", tags=["two-factor"])

WRONG_CODE = (400, "Wrong or already used code (INVALID_TWO_FACTOR_CODE)")


@router.post(
    "/setup",
    response_model=TwoFactorSetupResponse,
    responses=error_responses((409, "Two-factor is on already")),
    summary="Start enrolment: a new TOTP secret, its otpauth URI and QR code; "
    "two-factor stays off until /auth/2fa/enable",
)
async def set_up(
    principal: Principal, settings: AppSettings, client: Client, keys: AppTwoFactorKeys
) -> TwoFactorSetupResponse:
    started = await enrolment.set_up(
        user_id=principal.user_id,
        email=principal.email,
        keys=keys,
        settings=settings,
        client=client,
    )
    return TwoFactorSetupResponse(
        secret=started.secret,
        otpauth_uri=started.otpauth_uri,
        qr_code=started.qr_code,
    )


@router.post(
    "/enable",
    response_model=BackupCodesResponse,
    responses=error_responses(WRONG_CODE, (409, "No pending setup, or on already")),
    summary="Turn two-factor on with a code from the authenticator; answers "
    "the backup codes, once",
)
async def enable(
    body: EnableTwoFactorRequest,
    principal: Principal,
    settings: AppSettings,
    client: Client,
    keys: AppTwoFactorKeys,
) -> BackupCodesResponse:
    codes = await enrolment.enable(
        user_id=principal.user_id,
        email=principal.email,
        code=body.code,
        keys=keys,
        settings=settings,
        client=client,
    )
    return BackupCodesResponse(backup_codes=codes)


@router.post(
    "/verify",
    response_model=TokenResponse,
    summary="Complete a login: the challenge and a TOTP code or a backup code",
)
async def verify(
    body: VerifyTwoFactorRequest,
    settings: AppSettings,
    client: Client,
    tokens: Tokens,
    keys: AppTwoFactorKeys,
) -> TokenResponse:
    result = await complete_login(
        challenge_token=body.challenge_token,
        code=body.code,
        backup_code=body.backup_code,
        keys=keys,
        client=client,
        settings=settings,
    )
    return token_response(issue_tokens(tokens, result.user, result.session))


@router.post(
    "/disable",
    response_model=MessageResponse,
    responses=error_responses(WRONG_CODE, (409, "Two-factor is off")),
    summary="Turn two-factor off: the password and a code (or backup code)",
)
async def disable(
    body: DisableTwoFactorRequest,
    principal: Principal,
    settings: AppSettings,
    client: Client,
    keys: AppTwoFactorKeys,
) -> MessageResponse:
    await enrolment.disable(
        user_id=principal.user_id,
        email=principal.email,
        password=body.password,
        code=body.code,
        backup_code=body.backup_code,
        keys=keys,
        settings=settings,
        client=client,
    )
    return MessageResponse(message="Two-factor authentication is off")
