"""Forgotten passwords: a single-use link, valid for an hour, mailed on
request; with it a new password is set and every session ends."""

from __future__ import annotations

from auth_tables.tables import (
    Password,
    SecurityEventType,
    User,
    VerificationTokenType,
)
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.email_links.tokens import (
    delete_unused_link_tokens,
    issue_link_token,
    link_token_is_usable,
    use_link_token,
)
from mana_core_auth.auth.errors import InvalidLinkToken, WeakPassword
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.sessions import revoke_user_sessions
from mana_core_auth.email.mailer import Mailer, deliver
from mana_core_auth.email.templates import (
    RESET_PASSWORD_PATH,
    link,
    password_reset_mail,
)
from mana_core_auth.security.password_policy import is_common_password
from mana_core_auth.security.passwords import hash_password
from mana_core_auth.settings import Settings


async def send_password_reset(
    *,
    email: str,
    app_id: str | None,
    mailer: Mailer,
    settings: Settings,
    client: ClientInfo,
) -> None:
    """Mail a reset link if `email` belongs to a live account; otherwise do
    nothing (the caller has answered already). Earlier links stop working."""
    user = (
        await User.select(User.id, User.email, User.name, User.email_verified)
        .where((User.email == email) & User.deleted_at.is_null())
        .first()
    )
    if user is None:
        return
    ttl = settings.password_reset_ttl_seconds
    token = await issue_link_token(
        user["id"], VerificationTokenType.password_reset, ttl
    )
    mail = password_reset_mail(
        to=user["email"],
        # A name is text the registrant chose: only to a proven owner.
        name=user["name"] if user["email_verified"] else None,
        url=link(settings, app_id, RESET_PASSWORD_PATH, token),
        valid_minutes=max(1, ttl // 60),
    )
    delivered = await deliver(mailer, mail)
    await record_event(
        SecurityEventType.password_reset_requested,
        user_id=user["id"],
        client=client,
        app_id=app_id,
        delivered=delivered,
    )


async def reset_password(*, token: str, new_password: str, client: ClientInfo) -> int:
    """Set the password of the token's user and end all their sessions and
    other unused links; how many sessions ended. The link came through the
    mailbox, so it also verifies the address.

    :raises WeakPassword: for one of the most common passwords (the token
        stays usable).
    :raises InvalidLinkToken: unknown, used, superseded or expired token.
    """
    if is_common_password(new_password):
        raise WeakPassword()
    # Spares a password hash for tokens that cannot work.
    if not await link_token_is_usable(token, VerificationTokenType.password_reset):
        raise InvalidLinkToken()
    new_hash = await hash_password(new_password)
    async with Password._meta.db.transaction():
        user_id = await use_link_token(token, VerificationTokenType.password_reset)
        if user_id is None:
            raise InvalidLinkToken()
        updated = await (
            Password.update({Password.hashed_password: new_hash})
            .where(Password.user == user_id)
            .returning(Password.user)
        )
        if not updated:
            await Password.insert(Password(user=user_id, hashed_password=new_hash))
        await User.update({User.email_verified: True}).where(User.id == user_id)
        ended = await revoke_user_sessions(user_id)
        await delete_unused_link_tokens(user_id)
        await record_event(
            SecurityEventType.password_reset,
            user_id=user_id,
            client=client,
            revoked_sessions=ended,
        )
    return ended
