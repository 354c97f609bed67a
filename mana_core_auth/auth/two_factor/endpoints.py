"""Two-factor routes under `/api/v1/auth/2fa`."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks

from mana_core_auth.auth.dependencies import (
    AppMailer,
    AppSessionKeys,
    AppTwoFactorKeys,
)
from mana_core_auth.auth.endpoints import login_token_response
from mana_core_auth.auth.principal import Principal
from mana_core_auth.auth.schemas import (
    BackupCodesResponse,
    DisableTwoFactorRequest,
    EnableTwoFactorRequest,
    LoginTokenResponse,
    NewBackupCodesRequest,
    SetUpTwoFactorRequest,
    TwoFactorSetupResponse,
    VerifyTwoFactorRequest,
)
from mana_core_auth.auth.two_factor import enrolment
from mana_core_auth.auth.two_factor.backup_codes import regenerate_backup_codes
from mana_core_auth.auth.two_factor.login import complete_login
from mana_core_auth.auth.two_factor.notices import TwoFactorChange, notify_owner
from mana_core_auth.dependencies import AppSettings, Client, Tokens
from mana_core_auth.schemas import MessageResponse, error_responses

router = APIRouter(prefix="/auth/2fa", tags=["two-factor"])

WRONG_CODE = (400, "Wrong or already used code (INVALID_TWO_FACTOR_CODE)")
# Every change mails the owner (two_factor_notices).
REAUTHENTICATED_CHANGE = " Needs the current password; mails the owner."


@router.post(
    "/setup",
    response_model=TwoFactorSetupResponse,
    responses=error_responses((409, "Two-factor is on already")),
    summary="Start enrolment: a new TOTP secret, its otpauth URI and QR code; "
    "two-factor stays off until /auth/2fa/enable." + REAUTHENTICATED_CHANGE,
)
async def set_up(
    body: SetUpTwoFactorRequest,
    principal: Principal,
    settings: AppSettings,
    client: Client,
    keys: AppTwoFactorKeys,
    mailer: AppMailer,
    background: BackgroundTasks,
) -> TwoFactorSetupResponse:
    started = await enrolment.set_up(
        user_id=principal.user_id,
        email=principal.email,
        password=body.password,
        keys=keys,
        settings=settings,
        client=client,
    )
    notify_owner(background, mailer, principal.user_id, TwoFactorChange.setup)
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
    "the backup codes, once." + REAUTHENTICATED_CHANGE,
)
async def enable(
    body: EnableTwoFactorRequest,
    principal: Principal,
    settings: AppSettings,
    client: Client,
    keys: AppTwoFactorKeys,
    mailer: AppMailer,
    background: BackgroundTasks,
) -> BackupCodesResponse:
    codes = await enrolment.enable(
        user_id=principal.user_id,
        email=principal.email,
        password=body.password,
        code=body.code,
        keys=keys,
        settings=settings,
        client=client,
    )
    notify_owner(background, mailer, principal.user_id, TwoFactorChange.enabled)
    return BackupCodesResponse(backup_codes=codes)


@router.post(
    "/backup-codes",
    response_model=BackupCodesResponse,
    responses=error_responses(WRONG_CODE, (409, "Two-factor is off")),
    summary="New backup codes with a code (or backup code); the old ones stop "
    "working, the new ones are shown once." + REAUTHENTICATED_CHANGE,
)
async def new_backup_codes(
    body: NewBackupCodesRequest,
    principal: Principal,
    settings: AppSettings,
    client: Client,
    keys: AppTwoFactorKeys,
    mailer: AppMailer,
    background: BackgroundTasks,
) -> BackupCodesResponse:
    codes = await regenerate_backup_codes(
        user_id=principal.user_id,
        email=principal.email,
        password=body.password,
        code=body.code,
        backup_code=body.backup_code,
        keys=keys,
        settings=settings,
        client=client,
    )
    notify_owner(
        background, mailer, principal.user_id, TwoFactorChange.backup_codes_regenerated
    )
    return BackupCodesResponse(backup_codes=codes)


@router.post(
    "/verify",
    response_model=LoginTokenResponse,
    summary="Complete a login: the challenge and a TOTP code or a backup code",
)
async def verify(
    body: VerifyTwoFactorRequest,
    settings: AppSettings,
    client: Client,
    tokens: Tokens,
    keys: AppTwoFactorKeys,
    session_keys: AppSessionKeys,
) -> LoginTokenResponse:
    result = await complete_login(
        challenge_token=body.challenge_token,
        code=body.code,
        backup_code=body.backup_code,
        keys=keys,
        session_keys=session_keys,
        client=client,
        settings=settings,
    )
    return login_token_response(tokens, result)


@router.post(
    "/disable",
    response_model=MessageResponse,
    responses=error_responses(WRONG_CODE, (409, "Two-factor is off")),
    summary="Turn two-factor off with a code (or backup code)."
    + REAUTHENTICATED_CHANGE,
)
async def disable(
    body: DisableTwoFactorRequest,
    principal: Principal,
    settings: AppSettings,
    client: Client,
    keys: AppTwoFactorKeys,
    mailer: AppMailer,
    background: BackgroundTasks,
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
    notify_owner(background, mailer, principal.user_id, TwoFactorChange.disabled)
    return MessageResponse(message="Two-factor authentication is off")
