"""Changing a password while logged in: the current password is required,
and every other session of the user ends."""

from __future__ import annotations

import uuid

from auth_tables.tables import Password, SecurityEventType
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.email_links.tokens import delete_unused_link_tokens
from mana_core_auth.auth.errors import WeakPassword
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.reauthentication import confirm_password
from mana_core_auth.auth.sessions import revoke_user_sessions
from mana_core_auth.security.password_policy import is_common_password
from mana_core_auth.security.passwords import hash_password
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
    """Replace the password; returns how many other sessions ended. Unused
    reset and verification links end too.

    :raises WeakPassword: for one of the most common passwords.
    :raises TooManyRequests: wrong current passwords count like failed
        logins, so a stolen access token cannot be used to guess it.
    :raises InvalidCurrentPassword: if `current_password` is wrong.
    """
    if is_common_password(new_password):
        raise WeakPassword()
    await confirm_password(
        user_id=user_id,
        email=email,
        password=current_password,
        client=client,
        settings=settings,
    )
    new_hash = await hash_password(new_password)
    async with Password._meta.db.transaction():
        await Password.update({Password.hashed_password: new_hash}).where(
            Password.user == user_id
        )
        ended = await revoke_user_sessions(user_id, keep=session_id)
        await delete_unused_link_tokens(user_id)
        await record_event(
            SecurityEventType.password_change,
            user_id=user_id,
            client=client,
            revoked_sessions=ended,
        )
    return ended
