"""Ending sessions on the user's request, each recorded as a security event."""

from __future__ import annotations

import uuid

from auth_tables.tables import SecurityEventType, Session
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.email_links.tokens import delete_unused_link_tokens
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.sessions import revoke_session, revoke_user_sessions
from mana_core_auth.errors import NotFound


async def log_out(
    user_id: uuid.UUID, session_id: uuid.UUID, client: ClientInfo
) -> None:
    """End the caller's own session: its access and refresh tokens stop working."""
    async with Session._meta.db.transaction():
        await revoke_session(session_id, user_id)
        await record_event(
            SecurityEventType.logout,
            user_id=user_id,
            client=client,
            session_id=str(session_id),
        )


async def end_session(
    user_id: uuid.UUID, session_id: uuid.UUID, client: ClientInfo
) -> None:
    """End another (or this) live session of the user.

    :raises NotFound: if the user has no live session with this id.
    """
    async with Session._meta.db.transaction():
        if not await revoke_session(session_id, user_id):
            raise NotFound("No such session")
        await record_event(
            SecurityEventType.session_revoked,
            user_id=user_id,
            client=client,
            session_id=str(session_id),
        )


async def log_out_everywhere(user_id: uuid.UUID, client: ClientInfo) -> int:
    """End every live session of the user, this one included, and every
    unused reset or verification link; how many sessions."""
    async with Session._meta.db.transaction():
        count = await revoke_user_sessions(user_id)
        await delete_unused_link_tokens(user_id)
        await record_event(
            SecurityEventType.session_revoked,
            user_id=user_id,
            client=client,
            scope="all",
            revoked_sessions=count,
        )
    return count
