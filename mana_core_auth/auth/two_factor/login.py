"""Completing a login with two-factor authentication: the challenge from the
password step and a TOTP code or a backup code. Wrong codes count against
the same limits as wrong passwords."""

from __future__ import annotations

from auth_tables.tables import SecurityEventType, User
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.errors import InvalidTwoFactorChallenge, TwoFactorLoginFailed
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.known_devices import attempt_limits, new_device_token
from mana_core_auth.auth.login import LoggedIn, open_session
from mana_core_auth.auth.rate_limits import count_attempt
from mana_core_auth.auth.token_pair import SIGNED_IN_USER_COLUMNS, SignedInUser
from mana_core_auth.auth.two_factor.challenge import read_challenge
from mana_core_auth.auth.two_factor.enrolment import use_second_factor
from mana_core_auth.observability import metrics
from mana_core_auth.security.session_keys import SessionKeys
from mana_core_auth.security.two_factor_keys import TwoFactorKeys
from mana_core_auth.settings import Settings


@metrics.counts_outcome(metrics.LOGINS)
async def complete_login(
    *,
    challenge_token: str,
    code: str | None,
    backup_code: str | None,
    keys: TwoFactorKeys,
    session_keys: SessionKeys,
    client: ClientInfo,
    settings: Settings,
) -> LoggedIn:
    """:raises InvalidTwoFactorChallenge: forged or expired challenge, or
        the account is gone.
    :raises TooManyRequests: while too many attempts failed.
    :raises TwoFactorLoginFailed: wrong, used or replayed code.
    """
    challenge = read_challenge(keys, challenge_token)
    row = (
        await User.select(*SIGNED_IN_USER_COLUMNS)
        .where((User.id == challenge.user_id) & User.deleted_at.is_null())
        .first()
    )
    if row is None:
        raise InvalidTwoFactorChallenge()
    user = SignedInUser(**row)
    limits = attempt_limits(user.email, client, settings, challenge.known_device)
    await count_attempt(*limits)
    used = await use_second_factor(
        user.id, code=code, backup_code=backup_code, keys=keys
    )
    if used is None:
        await record_event(
            SecurityEventType.two_factor_failed,
            user_id=user.id,
            client=client,
            reason="wrong_code_at_login",
        )
        raise TwoFactorLoginFailed()
    session = await open_session(
        user,
        device_id=challenge.device_id,
        device_name=challenge.device_name,
        client=client,
        settings=settings,
        forgiven=limits,
        second_factor=used.method,
        backup_codes_left=used.backup_codes_left,
    )
    return LoggedIn(
        user=user,
        session=session,
        device_token=new_device_token(session_keys, user.id),
    )
