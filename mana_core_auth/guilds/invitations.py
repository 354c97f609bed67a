"""Inviting people to a guild by email: a single-use link that only the
account with that address can accept, until it expires or is revoked.

The token (256 random bits) goes into the mail only; the table keeps its
SHA-256. Inviting an address again revokes its pending invitations to that
guild, so only the newest link works. Accepting locks the guild row, then
the invitation row, and re-checks it: of two concurrent accepts, one wins.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auth_tables.tables import Guild, GuildInvitation, GuildRole, User
from mana_core_auth.auth.rate_limits import Limit, count_attempt
from mana_core_auth.email.mailer import Mailer, deliver
from mana_core_auth.email.templates import (
    ACCEPT_INVITATION_PATH,
    guild_invitation_mail,
    link,
)
from mana_core_auth.guilds.errors import (
    AlreadyMember,
    GuildRoleRequired,
    InvalidInvitation,
    InvitationForAnotherAccount,
    InvitationNotFound,
)
from mana_core_auth.guilds.membership import (
    MANAGERS,
    join,
    lock_guild,
    member_role,
    require_member,
)
from mana_core_auth.security.tokens import hash_token
from mana_core_auth.settings import Settings
from mana_core_auth.sql import fetch, fetch_one

logger = logging.getLogger(__name__)

INVITATION_TOKEN_BYTES = 32

INVITATION_FIELDS = (
    GuildInvitation.id,
    GuildInvitation.guild.as_alias("guild_id"),
    GuildInvitation.email,
    GuildInvitation.role,
    GuildInvitation.invited_by,
    GuildInvitation.created_at,
    GuildInvitation.expires_at,
)


@dataclass(frozen=True)
class NewInvitation:
    invitation: dict[str, Any]
    # For the mail only; never stored, logged or answered.
    token: str
    guild_name: str


def invitation_limit(inviter_id: uuid.UUID, settings: Settings) -> Limit:
    return Limit(
        f"guild-invite:inviter:{inviter_id}",
        settings.rate_limit_guild_invitations_per_inviter,
        settings.rate_limit_guild_invitations_window_seconds,
    )


_MEMBER_WITH_EMAIL = """
SELECT EXISTS (
    SELECT FROM auth.guild_members AS m
    JOIN auth.users AS u ON u.id = m.user_id
    WHERE m.guild_id = $1::uuid AND u.email = $2::text
) AS member
"""


async def invite(
    guild_id: uuid.UUID,
    inviter_id: uuid.UUID,
    *,
    email: str,
    role: GuildRole,
    settings: Settings,
    now: datetime,
) -> NewInvitation:
    """A new invitation of `email` (trimmed and lower-cased) as `role`, by
    an owner or admin; only owners invite owners.

    :raises GuildNotFound, GuildRoleRequired: as `require_member`.
    :raises AlreadyMember: if an account with this email is a member.
    :raises TooManyRequests: past the invitations one member may send.
    """
    await require_member(guild_id, inviter_id, *MANAGERS)
    await count_attempt(invitation_limit(inviter_id, settings))
    token = secrets.token_urlsafe(INVITATION_TOKEN_BYTES)
    async with Guild._meta.db.transaction():
        inviter_role = await lock_guild(guild_id, inviter_id)
        if inviter_role not in MANAGERS:
            raise GuildRoleRequired()
        if role is GuildRole.owner and inviter_role is not GuildRole.owner:
            raise GuildRoleRequired("Only owners invite owners")
        member = await fetch_one(_MEMBER_WITH_EMAIL, guild_id, email)
        if member is not None and member["member"]:
            raise AlreadyMember()
        await GuildInvitation.update({GuildInvitation.revoked_at: now}).where(
            (GuildInvitation.guild == guild_id)
            & (GuildInvitation.email == email)
            & GuildInvitation.accepted_at.is_null()
            & GuildInvitation.revoked_at.is_null()
        )
        invitation = GuildInvitation(
            guild=guild_id,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by=inviter_id,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.guild_invitation_ttl_seconds),
        )
        await GuildInvitation.insert(invitation)
        guild = await Guild.select(Guild.name).where(Guild.id == guild_id).first()
        assert guild is not None, "the guild row is locked"
    row = (
        await GuildInvitation.select(*INVITATION_FIELDS)
        .where(GuildInvitation.id == invitation.id)
        .first()
    )
    assert row is not None
    logger.info("guild %s invited someone as %s (%s)", guild_id, role.value, row["id"])
    return NewInvitation(invitation=row, token=token, guild_name=guild["name"])


async def send_invitation_mail(
    *,
    to: str,
    guild_name: str,
    role: GuildRole,
    token: str,
    mailer: Mailer,
    settings: Settings,
) -> None:
    ttl = settings.guild_invitation_ttl_seconds
    mail = guild_invitation_mail(
        to=to,
        guild_name=guild_name,
        role=role.value,
        url=link(settings, None, ACCEPT_INVITATION_PATH, token),
        valid_days=max(1, ttl // 86400),
    )
    await deliver(mailer, mail)


async def pending_invitations(
    guild_id: uuid.UUID, user_id: uuid.UUID, *, now: datetime
) -> list[dict[str, Any]]:
    """Invitations not yet accepted, revoked or expired, newest first
    (owners and admins).

    :raises GuildNotFound, GuildRoleRequired: as `require_member`.
    """
    await require_member(guild_id, user_id, *MANAGERS)
    rows: list[dict[str, Any]] = await (
        GuildInvitation.select(*INVITATION_FIELDS)
        .where(
            (GuildInvitation.guild == guild_id)
            & GuildInvitation.accepted_at.is_null()
            & GuildInvitation.revoked_at.is_null()
            & (GuildInvitation.expires_at > now)
        )
        .order_by(GuildInvitation.created_at, ascending=False)
    )
    return rows


_REVOKE = """
UPDATE auth.guild_invitations SET revoked_at = $3::timestamptz
WHERE id = $2::uuid AND guild_id = $1::uuid
  AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3::timestamptz
RETURNING id
"""


async def revoke(
    guild_id: uuid.UUID, user_id: uuid.UUID, invitation_id: uuid.UUID, *, now: datetime
) -> None:
    """Make a pending invitation's link stop working (owners and admins).

    :raises GuildNotFound, GuildRoleRequired: as `require_member`.
    :raises InvitationNotFound: unless it is a pending invitation to this guild.
    """
    await require_member(guild_id, user_id, *MANAGERS)
    if not await fetch(_REVOKE, guild_id, invitation_id, now):
        raise InvitationNotFound()


_LOCK_INVITATION = """
SELECT id, guild_id, email, role, expires_at, accepted_at, revoked_at
FROM auth.guild_invitations WHERE token_hash = $1::varchar
FOR UPDATE
"""


async def accept(token: str, user_id: uuid.UUID, *, now: datetime) -> uuid.UUID:
    """Join the guild the invitation is for, with its role; the guild's id.

    :raises InvalidInvitation: if the token is unknown, used, revoked,
        superseded or expired.
    :raises InvitationForAnotherAccount: if the caller's email is not the
        invited one (the invitation stays usable for that account).
    :raises AlreadyMember: if the caller is a member already.
    """
    token_hash = hash_token(token)
    found = await (
        GuildInvitation.select(GuildInvitation.guild)
        .where(GuildInvitation.token_hash == token_hash)
        .first()
    )
    if found is None:
        raise InvalidInvitation()
    guild_id = found["guild_id"]
    async with Guild._meta.db.transaction():
        if not await Guild.select(Guild.id).where(Guild.id == guild_id).lock_rows():
            raise InvalidInvitation()
        invitation = await fetch_one(_LOCK_INVITATION, token_hash)
        if (
            invitation is None
            or invitation["accepted_at"] is not None
            or invitation["revoked_at"] is not None
            or invitation["expires_at"] <= now
        ):
            raise InvalidInvitation()
        user = (
            await User.select(User.email)
            .where((User.id == user_id) & User.deleted_at.is_null())
            .first()
        )
        if user is None or user["email"] != invitation["email"]:
            raise InvitationForAnotherAccount()
        if await member_role(guild_id, user_id) is not None:
            raise AlreadyMember()
        await join(guild_id, user_id, GuildRole(invitation["role"]), now=now)
        await GuildInvitation.update(
            {GuildInvitation.accepted_at: now, GuildInvitation.accepted_by: user_id}
        ).where(GuildInvitation.id == invitation["id"])
    return guild_id
