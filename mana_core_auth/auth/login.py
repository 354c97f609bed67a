"""Logging in with email and password.

An unknown email, a wrong password and a deleted account take the same steps
(a dummy hash is verified when there is no real one) and end in the same
answer, so neither the answer nor its timing tells which emails have
accounts. Failed attempts count per account and per client IP, or, from a
client with a device token of the account, per device and per IP
(`known_devices`): failures from elsewhere never lock out the owner's
devices. A successful login hands out a new device token.

A user with two-factor authentication gets a short-lived challenge instead
of a session; `two_factor_login` completes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auth_tables.tables import Password, SecurityEventType
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.errors import EmailNotVerified, InvalidCredentials
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.known_devices import (
    attempt_limits,
    new_device_token,
    recognise_device,
)
from mana_core_auth.auth.rate_limits import count_attempt, forgive
from mana_core_auth.auth.sessions import IssuedSession, start_session
from mana_core_auth.auth.token_pair import SignedInUser
from mana_core_auth.auth.two_factor.challenge import issue_challenge
from mana_core_auth.auth.two_factor.enrolment import two_factor_enabled
from mana_core_auth.observability import metrics
from mana_core_auth.security.passwords import verify_dummy_password, verify_password
from mana_core_auth.security.session_keys import SessionKeys
from mana_core_auth.security.two_factor_keys import TwoFactorKeys
from mana_core_auth.settings import Settings


@dataclass(frozen=True)
class LoggedIn:
    user: SignedInUser
    session: IssuedSession
    device_token: str


@dataclass(frozen=True)
class TwoFactorRequired:
    challenge_token: str
    expires_in: int


async def _find_user(email: str) -> tuple[SignedInUser, str] | None:
    """The live account with this email and its password hash."""
    user = Password.user
    row = (
        await Password.select(
            user.id.as_alias("id"),
            user.email.as_alias("email"),
            user.name.as_alias("name"),
            user.role.as_alias("role"),
            user.email_verified.as_alias("email_verified"),
            Password.hashed_password,
        )
        .where((user.email == email) & user.deleted_at.is_null())
        .first()
    )
    if row is None:
        return None
    hashed_password = row.pop("hashed_password")
    return SignedInUser(**row), hashed_password


async def open_session(
    user: SignedInUser,
    *,
    device_id: str | None,
    device_name: str | None,
    client: ClientInfo,
    settings: Settings,
    **event_metadata: Any,
) -> IssuedSession:
    """Start a session for a login that passed every check, and record it."""
    async with Password._meta.db.transaction():
        session = await start_session(
            user_id=user.id,
            device_id=device_id,
            device_name=device_name,
            client=client,
            lifetime_seconds=settings.jwt_refresh_token_ttl_seconds,
        )
        await record_event(
            SecurityEventType.login,
            user_id=user.id,
            client=client,
            session_id=str(session.id),
            device_name=device_name,
            **event_metadata,
        )
    return session


@metrics.counts_outcome(metrics.LOGINS, success=metrics.login_outcome)
async def log_in(
    *,
    email: str,
    password: str,
    device_id: str | None,
    device_name: str | None,
    device_token: str | None,
    client: ClientInfo,
    settings: Settings,
    keys: TwoFactorKeys,
    session_keys: SessionKeys,
) -> LoggedIn | TwoFactorRequired:
    """Check the credentials and start a session, or hand out a two-factor
    challenge.

    :raises TooManyRequests: while too many attempts failed for this account
        (or this known device) or from this IP; checked before the password,
        so guessing stops.
    :raises InvalidCredentials: unknown email, wrong password, deleted user.
    :raises EmailNotVerified: with `REQUIRE_VERIFIED_EMAIL`, until the email
        is verified (told only to whoever knows the password).
    """
    found = await _find_user(email)
    known_device = (
        recognise_device(session_keys, device_token, found[0].id, settings)
        if found
        else None
    )
    limits = attempt_limits(email, client, settings, known_device)
    await count_attempt(*limits)
    if found is None:
        await verify_dummy_password(password)
        await record_event(
            SecurityEventType.login_failed,
            user_id=None,
            client=client,
            reason="unknown_account",
        )
        raise InvalidCredentials()
    user, stored_hash = found
    verification = await verify_password(password, stored_hash)
    if not verification.valid:
        await record_event(
            SecurityEventType.login_failed,
            user_id=user.id,
            client=client,
            reason="wrong_password",
        )
        raise InvalidCredentials()

    await forgive(*limits)
    if verification.new_hash is not None:
        await Password.update({Password.hashed_password: verification.new_hash}).where(
            Password.user == user.id
        )
    if settings.require_verified_email and not user.email_verified:
        await record_event(
            SecurityEventType.login_failed,
            user_id=user.id,
            client=client,
            reason="email_not_verified",
        )
        raise EmailNotVerified()
    if await two_factor_enabled(user.id):
        ttl = settings.two_factor_challenge_ttl_seconds
        challenge = issue_challenge(
            keys,
            user_id=user.id,
            device_id=device_id,
            device_name=device_name,
            ttl_seconds=ttl,
            known_device=known_device,
        )
        await record_event(
            SecurityEventType.two_factor_challenge,
            user_id=user.id,
            client=client,
            device_name=device_name,
        )
        return TwoFactorRequired(challenge_token=challenge, expires_in=ttl)
    session = await open_session(
        user,
        device_id=device_id,
        device_name=device_name,
        client=client,
        settings=settings,
    )
    return LoggedIn(
        user=user,
        session=session,
        device_token=new_device_token(session_keys, user.id),
    )
