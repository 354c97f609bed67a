"""Changing a password while logged in: the current password is required,
and every other session of the user ends."""

from __future__ import annotations

import uuid

from auth_tables.tables import Password, SecurityEventType
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.login import login_limits
from mana_core_auth.auth.rate_limits import count_attempt, forgive
from mana_core_auth.auth.sessions import revoke_user_sessions
from mana_core_auth.errors import InvalidCurrentPassword, WeakPassword
from mana_core_auth.security.password_policy import is_common_password
from mana_core_auth.security.passwords import hash_password, verify_password
from mana_core_auth.settings import Settings


async def change_password(
    *,
    user_id: uuid.UUID,
    email: str,
    session_id: uuid.UUID,
    current_password: str,
    new_password: str,
    client: ClientInfo,
    settings: Settings,
) -> int:
    """Replace the password; returns how many other sessions ended.

    :raises WeakPassword: for one of the most common passwords.
    :raises TooManyRequests: wrong current passwords count like failed
        logins, so a stolen access token cannot be used to guess it.
    :raises InvalidCurrentPassword: if `current_password` is wrong.
    """
    if is_common_password(new_password):
        raise WeakPassword()
    limits = login_limits(email, client, settings)
    await count_attempt(*limits)
    row = (
        await Password.select(Password.hashed_password)
        .where(Password.user == user_id)
        .first()
    )
    stored_hash = row["hashed_password"] if row else ""
    if not (await verify_password(current_password, stored_hash)).valid:
        await record_event(
            SecurityEventType.login_failed,
            user_id=user_id,
            client=client,
            reason="wrong_current_password",
        )
        raise InvalidCurrentPassword()
    await forgive(*limits)

    new_hash = await hash_password(new_password)
    async with Password._meta.db.transaction():
        await Password.update({Password.hashed_password: new_hash}).where(
            Password.user == user_id
        )
        ended = await revoke_user_sessions(user_id, keep=session_id)
        await record_event(
            SecurityEventType.password_change,
            user_id=user_id,
            client=client,
            revoked_sessions=ended,
        )
    return ended
