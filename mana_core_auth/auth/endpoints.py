"""HTTP routes under `/api/v1/auth`: parse, call the service, map the result."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Request, status

from auth_tables.tables import User
from mana_core_auth.api_keys.scopes import Scope
from mana_core_auth.auth import logout, sessions
from mana_core_auth.auth.caller import Caller, allow_keys_with
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.dependencies import (
    AppMailer,
    AppSessionKeys,
    AppTwoFactorKeys,
)
from mana_core_auth.auth.email_links.mail_jobs import run_mail_job
from mana_core_auth.auth.email_links.verification import mail_verification_link
from mana_core_auth.auth.login import LoggedIn, log_in
from mana_core_auth.auth.password_change import change_password
from mana_core_auth.auth.principal import Principal, authenticate
from mana_core_auth.auth.registration import RegisteredAccount, register
from mana_core_auth.auth.schemas import (
    ChangePasswordRequest,
    LoginRequest,
    LoginTokenResponse,
    Me,
    RefreshRequest,
    RegisteredUser,
    RegisterRequest,
    SessionInfo,
    SessionList,
    SessionsEnded,
    TokenResponse,
    TwoFactorChallengeResponse,
    UserSummary,
    ValidateRequest,
    ValidateResponse,
)
from mana_core_auth.auth.token_pair import (
    TokenPair,
    issue_tokens,
    load_signed_in_user,
)
from mana_core_auth.dependencies import AppSettings, Client, Tokens
from mana_core_auth.errors import Unauthorized
from mana_core_auth.schemas import MessageResponse, error_responses
from mana_core_auth.security.session_keys import SessionKeys
from mana_core_auth.security.tokens import TokenService
from mana_core_auth.security.two_factor_keys import TwoFactorKeys
from mana_core_auth.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])


def token_response(result: TokenPair) -> TokenResponse:
    return TokenResponse(
        user=UserSummary.model_validate(result.user),
        access_token=result.access_token,
        refresh_token=result.refresh_token,
        expires_in=result.expires_in,
    )


def login_token_response(tokens: TokenService, result: LoggedIn) -> LoginTokenResponse:
    issued = issue_tokens(tokens, result.user, result.session)
    return LoginTokenResponse(
        **token_response(issued).model_dump(), device_token=result.device_token
    )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisteredUser,
    responses=error_responses((409, "An account with this email exists (EMAIL_TAKEN)")),
    summary="Create an account (with its credit balance and signup bonus); "
    "mails a verification link",
)
async def register_account(
    body: RegisterRequest,
    settings: AppSettings,
    client: Client,
    mailer: AppMailer,
    background: BackgroundTasks,
) -> RegisteredAccount:
    user = await register(
        email=body.email,
        password=body.password,
        name=body.name,
        client=client,
        settings=settings,
    )
    background.add_task(
        run_mail_job,
        mail_verification_link,
        token=user.verification_token,
        user_id=user.id,
        email=user.email,
        app_id=body.app_id,
        mailer=mailer,
        settings=settings,
        client=client,
    )
    return user


@router.post(
    "/login",
    response_model=LoginTokenResponse | TwoFactorChallengeResponse,
    responses=error_responses(
        (403, "REQUIRE_VERIFIED_EMAIL is on and the email is not verified")
    ),
    summary="Log in with email and password; starts a session, or answers "
    "with a two-factor challenge for /auth/2fa/verify",
)
async def login(
    body: LoginRequest,
    settings: AppSettings,
    client: Client,
    tokens: Tokens,
    keys: AppTwoFactorKeys,
    session_keys: AppSessionKeys,
) -> LoginTokenResponse | TwoFactorChallengeResponse:
    return await log_in_as_requested(
        body,
        client=client,
        settings=settings,
        tokens=tokens,
        keys=keys,
        session_keys=session_keys,
    )


async def log_in_as_requested(
    body: LoginRequest,
    *,
    client: ClientInfo,
    settings: Settings,
    tokens: TokenService,
    keys: TwoFactorKeys,
    session_keys: SessionKeys,
) -> LoginTokenResponse | TwoFactorChallengeResponse:
    """The route's work, which `hot_routes` does for it too."""
    result = await log_in(
        email=body.email,
        password=body.password,
        device_id=body.device_id,
        device_name=body.device_name,
        device_token=body.device_token,
        client=client,
        settings=settings,
        keys=keys,
        session_keys=session_keys,
    )
    if isinstance(result, LoggedIn):
        return login_token_response(tokens, result)
    return TwoFactorChallengeResponse(
        challenge_token=result.challenge_token, expires_in=result.expires_in
    )


@router.post(
    "/refresh",
    response_model=TokenResponse,
    summary="Exchange a refresh token for new tokens (each works once; a "
    "retry within REFRESH_REUSE_GRACE_SECONDS gets the same refresh token)",
)
async def refresh(
    body: RefreshRequest,
    client: Client,
    tokens: Tokens,
    settings: AppSettings,
    keys: AppSessionKeys,
) -> TokenResponse:
    session = await sessions.rotate_session(
        body.refresh_token,
        client,
        keys=keys,
        grace_seconds=settings.refresh_reuse_grace_seconds,
    )
    user = await load_signed_in_user(session.user_id)
    return token_response(issue_tokens(tokens, user, session))


@router.post(
    "/logout",
    response_model=MessageResponse,
    summary="End this session",
)
async def log_out(principal: Principal, client: Client) -> MessageResponse:
    await logout.log_out(principal.user_id, principal.session_id, client)
    return MessageResponse(message="Logged out")


@router.post(
    "/validate",
    status_code=status.HTTP_200_OK,
    response_model=ValidateResponse,
    responses=error_responses((403, "An API key without `auth:validate` was sent")),
    summary="Check an access token: signature, expiry and live session",
)
async def validate(
    request: Request,
    body: ValidateRequest,
    tokens: Tokens,
    _key: Annotated[Caller | None, allow_keys_with(Scope.auth_validate)],
) -> ValidateResponse:
    """Open to anyone; a service key sent along needs `auth:validate`."""
    try:
        claims = await authenticate(tokens, body.token, request.app.state.revocations)
    except Unauthorized as error:
        return ValidateResponse(valid=False, error=error.message)
    return ValidateResponse(valid=True, payload=claims.raw)


@router.get("/me", response_model=Me, summary="The calling user")
async def me(principal: Principal) -> User:
    user = await User.objects().where(User.id == principal.user_id).first()
    if user is None:
        raise Unauthorized("Account not found")
    return user


@router.get(
    "/sessions",
    response_model=SessionList,
    summary="The caller's live sessions; the current one is marked",
)
async def list_sessions(principal: Principal) -> SessionList:
    rows = await sessions.live_sessions(principal.user_id)
    return SessionList(
        sessions=[
            SessionInfo(**row, current=row["id"] == principal.session_id)
            for row in rows
        ]
    )


@router.delete(
    "/sessions/{session_id}",
    response_model=MessageResponse,
    responses=error_responses((404, "The caller has no live session with this id")),
    summary="End one of the caller's sessions",
)
async def delete_session(
    session_id: uuid.UUID, principal: Principal, client: Client
) -> MessageResponse:
    await logout.end_session(principal.user_id, session_id, client)
    return MessageResponse(message="Session ended")


@router.post(
    "/logout-all",
    response_model=SessionsEnded,
    summary="End every session of the caller, this one included",
)
async def log_out_everywhere(principal: Principal, client: Client) -> SessionsEnded:
    count = await logout.log_out_everywhere(principal.user_id, client)
    return SessionsEnded(message="Logged out everywhere", revoked_sessions=count)


@router.post(
    "/change-password",
    response_model=SessionsEnded,
    summary="Change the password; every other session ends",
)
async def change_password_route(
    body: ChangePasswordRequest,
    principal: Principal,
    settings: AppSettings,
    client: Client,
) -> SessionsEnded:
    ended = await change_password(
        user_id=principal.user_id,
        email=principal.email,
        session_id=principal.session_id,
        current_password=body.current_password,
        new_password=body.new_password,
        client=client,
        settings=settings,
    )
    return SessionsEnded(message="Password changed", revoked_sessions=ended)
