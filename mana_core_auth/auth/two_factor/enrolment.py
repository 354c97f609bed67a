"""TOTP two-factor authentication: enrolment, codes, backup codes, turning
it off.

Setup stores a new secret (encrypted) with two-factor still off; enabling
proves a code of it and hands out ten backup codes, kept as keyed digests and
shown once. Each accepted TOTP code raises `last_used_step` and only later
steps are accepted, so a code cannot be replayed within its window; a backup
code leaves the list when it is used. Both are one conditional update each,
so of two concurrent uses of one code exactly one wins. Wrong codes count
like failed logins. Every change (setup, enable, disable, new backup codes)
needs the current password, so an access token alone cannot enrol a thief's
authenticator or take the backup codes.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from auth_tables.tables import SecurityEventType, TwoFactorAuth
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.errors import (
    InvalidTwoFactorCode,
    TwoFactorAlreadyEnabled,
    TwoFactorNotEnabled,
    TwoFactorNotSetUp,
)
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.rate_limits import forgive
from mana_core_auth.auth.reauthentication import confirm_password
from mana_core_auth.security.totp import (
    matching_step,
    new_backup_codes,
    new_secret,
    normalize_backup_code,
    provisioning_uri,
    qr_code_data_uri,
)
from mana_core_auth.security.two_factor_keys import TwoFactorKeys
from mana_core_auth.settings import Settings
from mana_core_auth.sql import fetch


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_code: str


@dataclass(frozen=True)
class SecondFactor:
    """How a second factor was proven."""

    method: str  # "totp" or "backup_code"
    backup_codes_left: int | None = None


async def two_factor_enabled(user_id: uuid.UUID) -> bool:
    return await TwoFactorAuth.exists().where(
        (TwoFactorAuth.user == user_id) & TwoFactorAuth.enabled.eq(True)
    )


# A pending (not yet enabled) enrolment is replaced; an enabled one is kept.
_START_SETUP = """
INSERT INTO auth.two_factor_auth AS enrolment
    (user_id, secret, enabled, backup_codes, created_at)
VALUES ($1, $2, false, '[]'::jsonb, now())
ON CONFLICT (user_id) DO UPDATE SET
    secret = EXCLUDED.secret, backup_codes = '[]'::jsonb, created_at = now(),
    enabled_at = NULL, last_used_step = NULL
WHERE NOT enrolment.enabled
RETURNING enrolment.user_id
"""


async def set_up(
    *,
    user_id: uuid.UUID,
    email: str,
    password: str,
    keys: TwoFactorKeys,
    settings: Settings,
    client: ClientInfo,
) -> Enrolment:
    """A new secret to enrol in an authenticator app; two-factor stays off
    until `enable` proves a code of it.

    :raises TooManyRequests: while too many attempts failed.
    :raises InvalidCurrentPassword: wrong password.
    :raises TwoFactorAlreadyEnabled: turn it off first.
    """
    await confirm_password(
        user_id=user_id,
        email=email,
        password=password,
        client=client,
        settings=settings,
    )
    secret = new_secret()
    async with TwoFactorAuth._meta.db.transaction():
        started = await fetch(_START_SETUP, user_id, keys.encrypt(secret))
        if not started:
            raise TwoFactorAlreadyEnabled()
        await record_event(
            SecurityEventType.two_factor_setup, user_id=user_id, client=client
        )
    uri = provisioning_uri(secret, email, settings.totp_issuer)
    return Enrolment(secret=secret, otpauth_uri=uri, qr_code=qr_code_data_uri(uri))


# `secret = $4`: the code was checked against this secret, and a setup
# running at the same time may have replaced it.
_USE_STEP = """
UPDATE auth.two_factor_auth SET last_used_step = $1
WHERE user_id = $2 AND enabled = $3 AND secret = $4
  AND (last_used_step IS NULL OR last_used_step < $1)
RETURNING user_id
"""

_USE_BACKUP_CODE = """
UPDATE auth.two_factor_auth SET backup_codes = backup_codes - $1::text
WHERE user_id = $2 AND enabled AND backup_codes ? $1::text
RETURNING jsonb_array_length(backup_codes) AS remaining
"""


async def _use_totp_code(
    user_id: uuid.UUID, code: str, keys: TwoFactorKeys, *, enabled: bool
) -> bool:
    row = (
        await TwoFactorAuth.select(TwoFactorAuth.secret)
        .where((TwoFactorAuth.user == user_id) & (TwoFactorAuth.enabled == enabled))
        .first()
    )
    if row is None:
        return False
    step = matching_step(keys.decrypt(row["secret"]), code, time.time())
    if step is None:
        return False
    used = await fetch(_USE_STEP, step, user_id, enabled, row["secret"])
    return bool(used)


async def use_second_factor(
    user_id: uuid.UUID,
    *,
    code: str | None,
    backup_code: str | None,
    keys: TwoFactorKeys,
) -> SecondFactor | None:
    """Accept a TOTP code or a backup code of a user with two-factor on,
    once; None if it is wrong, used or replayed."""
    if code is not None:
        if await _use_totp_code(user_id, code, keys, enabled=True):
            return SecondFactor(method="totp")
        return None
    if backup_code is not None:
        digest = keys.backup_code_digest(normalize_backup_code(backup_code))
        rows = await fetch(_USE_BACKUP_CODE, digest, user_id)
        if rows:
            return SecondFactor(
                method="backup_code", backup_codes_left=rows[0]["remaining"]
            )
    return None


async def enable(
    *,
    user_id: uuid.UUID,
    email: str,
    password: str,
    code: str,
    keys: TwoFactorKeys,
    settings: Settings,
    client: ClientInfo,
) -> list[str]:
    """Turn two-factor on with the password and a code of the pending
    secret; the backup codes, which are shown this once.

    :raises TwoFactorNotSetUp: no pending setup.
    :raises TwoFactorAlreadyEnabled: it is on already.
    :raises TooManyRequests: while too many attempts failed.
    :raises InvalidCurrentPassword: wrong password.
    :raises InvalidTwoFactorCode: wrong or replayed code.
    """
    row = (
        await TwoFactorAuth.select(TwoFactorAuth.enabled)
        .where(TwoFactorAuth.user == user_id)
        .first()
    )
    if row is None:
        raise TwoFactorNotSetUp()
    if row["enabled"]:
        raise TwoFactorAlreadyEnabled()
    limits = await confirm_password(
        user_id=user_id,
        email=email,
        password=password,
        client=client,
        settings=settings,
        forgive_attempt=False,
    )
    if not await _use_totp_code(user_id, code, keys, enabled=False):
        await record_event(
            SecurityEventType.two_factor_failed,
            user_id=user_id,
            client=client,
            reason="wrong_code_at_enable",
        )
        raise InvalidTwoFactorCode()
    await forgive(*limits)
    codes = new_backup_codes()
    digests = [keys.backup_code_digest(normalize_backup_code(c)) for c in codes]
    async with TwoFactorAuth._meta.db.transaction():
        enabled = await (
            TwoFactorAuth.update(
                {
                    TwoFactorAuth.enabled: True,
                    TwoFactorAuth.enabled_at: datetime.now(UTC),
                    TwoFactorAuth.backup_codes: digests,
                }
            )
            .where((TwoFactorAuth.user == user_id) & TwoFactorAuth.enabled.eq(False))
            .returning(TwoFactorAuth.user)
        )
        if not enabled:
            raise TwoFactorAlreadyEnabled()
        await record_event(
            SecurityEventType.two_factor_enabled, user_id=user_id, client=client
        )
    return codes


async def disable(
    *,
    user_id: uuid.UUID,
    email: str,
    password: str,
    code: str | None,
    backup_code: str | None,
    keys: TwoFactorKeys,
    settings: Settings,
    client: ClientInfo,
) -> None:
    """Turn two-factor off: the password and a code (or backup code).

    :raises TwoFactorNotEnabled: it is off.
    :raises TooManyRequests: while too many attempts failed.
    :raises InvalidCurrentPassword: wrong password.
    :raises InvalidTwoFactorCode: wrong, used or replayed code.
    """
    if not await two_factor_enabled(user_id):
        raise TwoFactorNotEnabled()
    limits = await confirm_password(
        user_id=user_id,
        email=email,
        password=password,
        client=client,
        settings=settings,
        forgive_attempt=False,
    )
    used = await use_second_factor(
        user_id, code=code, backup_code=backup_code, keys=keys
    )
    if used is None:
        await record_event(
            SecurityEventType.two_factor_failed,
            user_id=user_id,
            client=client,
            reason="wrong_code_at_disable",
        )
        raise InvalidTwoFactorCode()
    await forgive(*limits)
    async with TwoFactorAuth._meta.db.transaction():
        await TwoFactorAuth.delete().where(TwoFactorAuth.user == user_id)
        await record_event(
            SecurityEventType.two_factor_disabled,
            user_id=user_id,
            client=client,
            method=used.method,
        )
