"""Email verification: a link mailed at registration and on request;
opening it marks the address verified."""

from __future__ import annotations

import uuid

from auth_tables.tables import SecurityEventType, User, VerificationTokenType
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.email_links.tokens import issue_link_token, use_link_token
from mana_core_auth.auth.errors import InvalidLinkToken
from mana_core_auth.auth.events import record_event
from mana_core_auth.email.mailer import Mailer, deliver
from mana_core_auth.email.templates import VERIFY_EMAIL_PATH, link, verification_mail
from mana_core_auth.settings import Settings


async def send_verification_email(
    *,
    user_id: uuid.UUID,
    email: str,
    app_id: str | None,
    mailer: Mailer,
    settings: Settings,
    client: ClientInfo,
) -> None:
    token = await issue_link_token(
        user_id,
        VerificationTokenType.email_verification,
        settings.email_verification_ttl_seconds,
    )
    await mail_verification_link(
        token=token,
        user_id=user_id,
        email=email,
        app_id=app_id,
        mailer=mailer,
        settings=settings,
        client=client,
    )


async def mail_verification_link(
    *,
    token: str,
    user_id: uuid.UUID,
    email: str,
    app_id: str | None,
    mailer: Mailer,
    settings: Settings,
    client: ClientInfo,
) -> None:
    """Mail a verification link with `token`, issued already (registration
    issues the first with the account)."""
    ttl = settings.email_verification_ttl_seconds
    mail = verification_mail(
        to=email,
        url=link(settings, app_id, VERIFY_EMAIL_PATH, token),
        valid_hours=max(1, ttl // 3600),
    )
    delivered = await deliver(mailer, mail)
    await record_event(
        SecurityEventType.email_verification_sent,
        user_id=user_id,
        client=client,
        app_id=app_id,
        delivered=delivered,
    )


async def resend_verification_email(
    *,
    email: str,
    app_id: str | None,
    mailer: Mailer,
    settings: Settings,
    client: ClientInfo,
) -> None:
    """Mail a new link if `email` belongs to a live, unverified account;
    otherwise do nothing (the caller has answered already)."""
    user = (
        await User.select(User.id, User.email)
        .where(
            (User.email == email)
            & User.deleted_at.is_null()
            & User.email_verified.eq(False)
        )
        .first()
    )
    if user is None:
        return
    await send_verification_email(
        user_id=user["id"],
        email=user["email"],
        app_id=app_id,
        mailer=mailer,
        settings=settings,
        client=client,
    )


async def verify_email(token: str, client: ClientInfo) -> None:
    """:raises InvalidLinkToken: unknown, used, superseded or expired token."""
    async with User._meta.db.transaction():
        user_id = await use_link_token(token, VerificationTokenType.email_verification)
        if user_id is None:
            raise InvalidLinkToken()
        await User.update({User.email_verified: True}).where(User.id == user_id)
        await record_event(
            SecurityEventType.email_verified, user_id=user_id, client=client
        )
