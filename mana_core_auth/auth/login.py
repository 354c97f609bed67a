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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auth_tables.tables import Password, SecurityEventType
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.errors import EmailNotVerified, InvalidCredentials
from mana_core_auth.auth.events import event_values, insert_event_sql, record_event
from mana_core_auth.auth.known_devices import (
    attempt_limits,
    new_device_token,
    presented_device,
    recognise_device,
)
from mana_core_auth.auth.rate_limits import (
    Limit,
    count_sql,
    counted_keys,
    forgive,
    forgive_sql,
    forgiven_keys,
    raise_if_exceeded,
)
from mana_core_auth.auth.sessions import (
    IssuedSession,
    insert_session_sql,
    new_session,
)
from mana_core_auth.auth.token_pair import SignedInUser
from mana_core_auth.auth.two_factor.challenge import issue_challenge
from mana_core_auth.observability import metrics
from mana_core_auth.security.passwords import verify_dummy_password, verify_password
from mana_core_auth.security.session_keys import SessionKeys
from mana_core_auth.security.two_factor_keys import TwoFactorKeys
from mana_core_auth.settings import Settings
from mana_core_auth.sql import fetch


@dataclass(frozen=True)
class LoggedIn:
    user: SignedInUser
    session: IssuedSession
    device_token: str


@dataclass(frozen=True)
class TwoFactorRequired:
    challenge_token: str
    expires_in: int


@dataclass(frozen=True)
class _Account:
    user: SignedInUser
    hashed_password: str
    two_factor: bool


# The user, their password hash and whether two-factor is on; and, in the
# same round trip, the attempt counted (`rate_limits.count_sql`) against
# the limits of a known device ($4 the device token's user, $5 its keys)
# if the account is that device's, else against the account's ($2). An
# unknown email finds no account and counts against the account's limits
# too. The answer is one row per counted key, each with the account's
# columns (NULL when none was found).
_FIND_ACCOUNT_AND_COUNT = f"""
WITH account AS (
    SELECT account.id, account.email, account.name, account.role,
           account.email_verified, password.hashed_password,
           coalesce(two_factor.enabled, false) AS two_factor
    FROM auth.users AS account
    JOIN auth.passwords AS password ON password.user_id = account.id
    LEFT JOIN auth.two_factor_auth AS two_factor
        ON two_factor.user_id = account.id
    WHERE account.email = $1 AND account.deleted_at IS NULL
),
counted AS ({
    count_sql(
        "CASE WHEN EXISTS (SELECT 1 FROM account WHERE account.id = $4::uuid)"
        " THEN $5::text[] ELSE $2::text[] END",
        "$3::int",
    )
})
SELECT counted.key, counted.hits, counted.window_started_at, counted.now,
       account.*
FROM counted LEFT JOIN account ON true
"""  # noqa: S608 (constants and placeholders)


@dataclass(frozen=True)
class _Attempt:
    account: _Account | None
    # The limits the attempt counted against.
    limits: list[Limit]
    # The device key of a device token of this account, if one came.
    known_device: str | None


async def _find_account_and_count(
    email: str,
    device_token: str | None,
    client: ClientInfo,
    settings: Settings,
    session_keys: SessionKeys,
) -> _Attempt:
    """The live account with this email, with the attempt counted.

    :raises TooManyRequests: if a limit the attempt counted against is now
        exceeded.
    """
    device = presented_device(session_keys, device_token, settings)
    account_limits = attempt_limits(email, client, settings, None)
    device_limits = (
        attempt_limits(email, client, settings, device.device_key) if device else []
    )
    windows = {limit.window_seconds for limit in account_limits + device_limits}
    assert len(windows) == 1, "a login's limits share one window"
    rows = await fetch(
        _FIND_ACCOUNT_AND_COUNT,
        email,
        counted_keys(account_limits),
        windows.pop(),
        device.user_id if device else None,
        counted_keys(device_limits),
    )
    row = rows[0]
    account = (
        None
        if row["id"] is None
        else _Account(
            user=SignedInUser(
                id=row["id"],
                email=row["email"],
                name=row["name"],
                role=row["role"],
                email_verified=row["email_verified"],
            ),
            hashed_password=row["hashed_password"],
            two_factor=row["two_factor"],
        )
    )
    known_device = recognise_device(device, account.user.id) if account else None
    limits = device_limits if known_device else account_limits
    raise_if_exceeded(rows, limits)
    return _Attempt(account, limits, known_device)


# One statement, so atomic without a transaction: the session, its login
# event, and the attempt counted before the password check handed back.
_START_SESSION = f"""
WITH new_session AS ({insert_session_sql(1)}),
     event AS ({insert_event_sql(13)}),
     forgiven AS ({forgive_sql(20)})
SELECT 1
"""


async def open_session(
    user: SignedInUser,
    *,
    device_id: str | None,
    device_name: str | None,
    client: ClientInfo,
    settings: Settings,
    forgiven: Sequence[Limit],
    **event_metadata: Any,
) -> IssuedSession:
    """Start a session for a login that passed every check, record it and
    forgive the login's counted attempt (`forgiven`)."""
    session = new_session(
        user_id=user.id,
        device_id=device_id,
        device_name=device_name,
        client=client,
        lifetime_seconds=settings.jwt_refresh_token_ttl_seconds,
    )
    event = event_values(
        SecurityEventType.login,
        user_id=user.id,
        client=client,
        session_id=str(session.issued.id),
        device_name=device_name,
        **event_metadata,
    )
    await fetch(_START_SESSION, *session.values, *event, forgiven_keys(forgiven))
    return session.issued


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
    attempt = await _find_account_and_count(
        email, device_token, client, settings, session_keys
    )
    found, limits, known_device = attempt.account, attempt.limits, attempt.known_device
    if found is None:
        await verify_dummy_password(password)
        await record_event(
            SecurityEventType.login_failed,
            user_id=None,
            client=client,
            reason="unknown_account",
        )
        raise InvalidCredentials()
    user = found.user
    verification = await verify_password(password, found.hashed_password)
    if not verification.valid:
        await record_event(
            SecurityEventType.login_failed,
            user_id=user.id,
            client=client,
            reason="wrong_password",
        )
        raise InvalidCredentials()

    if verification.new_hash is not None:
        await Password.update({Password.hashed_password: verification.new_hash}).where(
            Password.user == user.id
        )
    if settings.require_verified_email and not user.email_verified:
        await forgive(*limits)
        await record_event(
            SecurityEventType.login_failed,
            user_id=user.id,
            client=client,
            reason="email_not_verified",
        )
        raise EmailNotVerified()
    if found.two_factor:
        await forgive(*limits)
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
        forgiven=limits,
    )
    return LoggedIn(
        user=user,
        session=session,
        device_token=new_device_token(session_keys, user.id),
    )
