"""Routes of the mailed links under `/api/v1/auth`: verifying the email and
resetting a forgotten password."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, status

from mana_core_auth.auth.dependencies import AppMailer
from mana_core_auth.auth.email_links.mail_jobs import accept_email_request, run_mail_job
from mana_core_auth.auth.email_links.password_reset import (
    reset_password,
    send_password_reset,
)
from mana_core_auth.auth.email_links.verification import (
    resend_verification_email,
    verify_email,
)
from mana_core_auth.auth.schemas import (
    EmailRequest,
    ResetPasswordRequest,
    SessionsEnded,
    VerifyEmailRequest,
)
from mana_core_auth.dependencies import AppSettings, Client
from mana_core_auth.schemas import MessageResponse, error_responses

router = APIRouter(prefix="/auth", tags=["account"])

# One answer whether or not the address has an account.
VERIFICATION_REQUESTED = (
    "If this address belongs to an account that is not verified yet, "
    "a new link is on its way"
)
RESET_REQUESTED = "If this address belongs to an account, a reset link is on its way"
INVALID_LINK = (400, "The link is invalid, used, superseded or expired")


@router.post(
    "/verify-email",
    response_model=MessageResponse,
    responses=error_responses(INVALID_LINK),
    summary="Mark the email verified with the token from the mailed link",
)
async def verify_email_route(
    body: VerifyEmailRequest, client: Client
) -> MessageResponse:
    await verify_email(body.token, client)
    return MessageResponse(message="Email verified")


@router.post(
    "/resend-verification",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageResponse,
    summary="Mail a new verification link (same answer for every address)",
)
async def resend_verification(
    body: EmailRequest,
    settings: AppSettings,
    client: Client,
    mailer: AppMailer,
    background: BackgroundTasks,
) -> MessageResponse:
    await accept_email_request(body.email, client, settings)
    background.add_task(
        run_mail_job,
        resend_verification_email,
        email=body.email,
        app_id=body.app_id,
        mailer=mailer,
        settings=settings,
        client=client,
    )
    return MessageResponse(message=VERIFICATION_REQUESTED)


@router.post(
    "/forgot-password",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageResponse,
    summary="Mail a password reset link (same answer for every address)",
)
async def forgot_password(
    body: EmailRequest,
    settings: AppSettings,
    client: Client,
    mailer: AppMailer,
    background: BackgroundTasks,
) -> MessageResponse:
    await accept_email_request(body.email, client, settings)
    background.add_task(
        run_mail_job,
        send_password_reset,
        email=body.email,
        app_id=body.app_id,
        mailer=mailer,
        settings=settings,
        client=client,
    )
    return MessageResponse(message=RESET_REQUESTED)


@router.post(
    "/reset-password",
    response_model=SessionsEnded,
    responses=error_responses(INVALID_LINK),
    summary="Set a new password with the token from the mailed link; "
    "every session ends",
)
async def reset_password_route(
    body: ResetPasswordRequest, client: Client
) -> SessionsEnded:
    ended = await reset_password(
        token=body.token, new_password=body.password, client=client
    )
    return SessionsEnded(message="Password reset", revoked_sessions=ended)
