"""New backup codes for a user with two-factor on: the password and a code
(or a backup code) prove it is the owner; the old codes stop working in the
same update that stores the new ones."""

from __future__ import annotations

import uuid

from auth_tables.tables import SecurityEventType, TwoFactorAuth
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.errors import InvalidTwoFactorCode, TwoFactorNotEnabled
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.rate_limits import forgive
from mana_core_auth.auth.reauthentication import confirm_password
from mana_core_auth.auth.two_factor.enrolment import (
    two_factor_enabled,
    use_second_factor,
)
from mana_core_auth.security.totp import new_backup_codes, normalize_backup_code
from mana_core_auth.security.two_factor_keys import TwoFactorKeys
from mana_core_auth.settings import Settings


async def regenerate_backup_codes(
    *,
    user_id: uuid.UUID,
    email: str,
    password: str,
    code: str | None,
    backup_code: str | None,
    keys: TwoFactorKeys,
    settings: Settings,
    client: ClientInfo,
) -> list[str]:
    """Replace the backup codes; the new ones, shown this once.

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
            reason="wrong_code_at_backup_codes",
        )
        raise InvalidTwoFactorCode()
    await forgive(*limits)
    codes = new_backup_codes()
    digests = [keys.backup_code_digest(normalize_backup_code(c)) for c in codes]
    async with TwoFactorAuth._meta.db.transaction():
        replaced = await (
            TwoFactorAuth.update({TwoFactorAuth.backup_codes: digests})
            .where((TwoFactorAuth.user == user_id) & TwoFactorAuth.enabled.eq(True))
            .returning(TwoFactorAuth.user)
        )
        if not replaced:  # turned off a moment ago
            raise TwoFactorNotEnabled()
        await record_event(
            SecurityEventType.backup_codes_regenerated,
            user_id=user_id,
            client=client,
            method=used.method,
        )
    return codes
