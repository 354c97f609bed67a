"""Deleting one's account: a soft delete. The user row stays, so the credit
ledger that refers to it stays whole; logins, refreshes and access tokens
stop at once, and pending links and two-factor secrets are removed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from auth_tables.tables import (
    SecurityEventType,
    TwoFactorAuth,
    User,
    VerificationToken,
)
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.reauthentication import confirm_password
from mana_core_auth.auth.sessions import revoke_user_sessions
from mana_core_auth.settings import Settings


async def delete_account(
    *,
    user_id: uuid.UUID,
    email: str,
    password: str,
    client: ClientInfo,
    settings: Settings,
) -> int:
    """Soft-delete the account; how many sessions ended.

    :raises TooManyRequests: while too many attempts failed.
    :raises InvalidCurrentPassword: if `password` is wrong.
    """
    await confirm_password(
        user_id=user_id,
        email=email,
        password=password,
        client=client,
        settings=settings,
    )
    async with User._meta.db.transaction():
        await User.update({User.deleted_at: datetime.now(UTC)}).where(
            (User.id == user_id) & User.deleted_at.is_null()
        )
        ended = await revoke_user_sessions(user_id)
        await VerificationToken.delete().where(VerificationToken.user == user_id)
        await TwoFactorAuth.delete().where(TwoFactorAuth.user == user_id)
        await record_event(
            SecurityEventType.account_deleted,
            user_id=user_id,
            client=client,
            revoked_sessions=ended,
        )
    return ended
