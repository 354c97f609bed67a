"""Confirming the password of a logged-in user before a sensitive change
(new password, turning two-factor off, deleting the account). Wrong
passwords count like failed logins, so a stolen access token cannot be used
to guess the password."""

from __future__ import annotations

import uuid

from auth_tables.tables import Password, SecurityEventType
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.errors import InvalidCurrentPassword
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.rate_limits import (
    Limit,
    count_attempt,
    forgive,
    login_limits,
)
from mana_core_auth.security.passwords import verify_password
from mana_core_auth.settings import Settings


async def confirm_password(
    *,
    user_id: uuid.UUID,
    email: str,
    password: str,
    client: ClientInfo,
    settings: Settings,
    forgive_attempt: bool = True,
) -> list[Limit]:
    """Check `password` against the user's; the limits it counted against.
    With `forgive_attempt=False` the attempt stays counted, for a caller that
    checks a second factor next and forgives only if that passes too.

    :raises TooManyRequests: while too many attempts failed.
    :raises InvalidCurrentPassword: if `password` is wrong.
    """
    limits = login_limits(email, client, settings)
    await count_attempt(*limits)
    row = (
        await Password.select(Password.hashed_password)
        .where(Password.user == user_id)
        .first()
    )
    stored_hash = row["hashed_password"] if row else ""
    if not (await verify_password(password, stored_hash)).valid:
        await record_event(
            SecurityEventType.login_failed,
            user_id=user_id,
            client=client,
            reason="wrong_current_password",
        )
        raise InvalidCurrentPassword()
    if forgive_attempt:
        await forgive(*limits)
    return limits
