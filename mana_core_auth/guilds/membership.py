"""Guilds and their members: creating, reading, renaming and deleting a
guild; leaving, removing members and changing roles.

Everyone who is not a member is told the guild does not exist
(`GuildNotFound`), members without the role get `GuildRoleRequired`.
Every change of the member list runs in one transaction with the guild
row locked, so concurrent changes cannot leave a guild without an owner.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from auth_tables.tables import Guild, GuildMember, GuildRole
from credit_tables.tables import GuildPool
from mana_core_auth.guilds.errors import (
    GuildNotFound,
    GuildRoleRequired,
    LastOwner,
    MemberNotFound,
    PoolNotEmpty,
    SlugTaken,
)
from mana_core_auth.sql import fetch, fetch_one

MANAGERS = (GuildRole.owner, GuildRole.admin)
SLUG_CONSTRAINT = "guilds_slug_key"
_SLUG_ATTEMPTS = 5


@dataclass(frozen=True)
class GuildView:
    id: uuid.UUID
    name: str
    slug: str
    role: GuildRole
    created_at: datetime
    updated_at: datetime
    pool: dict[str, int]
    members: list[dict[str, Any]]


_ROLE = """
SELECT role FROM auth.guild_members WHERE guild_id = $1::uuid AND user_id = $2::uuid
"""


async def member_role(guild_id: uuid.UUID, user_id: uuid.UUID) -> GuildRole | None:
    row = await fetch_one(_ROLE, guild_id, user_id)
    return None if row is None else GuildRole(row["role"])


async def require_member(
    guild_id: uuid.UUID, user_id: uuid.UUID, *roles: GuildRole
) -> GuildRole:
    """The caller's role in the guild, which must be one of `roles` (any
    role if none are given).

    :raises GuildNotFound: if there is no such guild or the caller is not a
        member of it.
    :raises GuildRoleRequired: if the caller's role is not one of `roles`.
    """
    role = await member_role(guild_id, user_id)
    if role is None:
        raise GuildNotFound()
    if roles and role not in roles:
        raise GuildRoleRequired()
    return role


async def lock_guild(guild_id: uuid.UUID, user_id: uuid.UUID) -> GuildRole:
    """Lock the guild row until the open transaction ends; the caller's
    role, read after the lock.

    :raises GuildNotFound: as `require_member`.
    """
    locked = await Guild.select(Guild.id).where(Guild.id == guild_id).lock_rows()
    role = await member_role(guild_id, user_id) if locked else None
    if role is None:
        raise GuildNotFound()
    return role


def slug_from_name(name: str) -> str:
    ascii_name = (
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:48].strip("-")
    return slug or "guild"


async def join(
    guild_id: uuid.UUID, user_id: uuid.UUID, role: GuildRole, *, now: datetime
) -> None:
    """Make the user a member, in the open transaction that locked the guild.

    A member who left and comes back keeps what they spent today and this
    month (the limits row stays when they leave); their limits start over
    unset.
    """
    await GuildMember.insert(
        GuildMember(
            guild=guild_id, user=user_id, role=role, created_at=now, updated_at=now
        )
    )
    await fetch(
        """
        INSERT INTO credits.guild_member_limits (id, guild_id, user_id, updated_at)
        VALUES ($1::uuid, $2::uuid, $3::uuid, $4::timestamptz)
        ON CONFLICT (guild_id, user_id) DO UPDATE
        SET daily_limit = NULL, monthly_limit = NULL, updated_at = excluded.updated_at
        """,
        uuid.uuid4(),
        guild_id,
        user_id,
        now,
    )


async def create_guild(
    user_id: uuid.UUID, *, name: str, slug: str | None, now: datetime
) -> uuid.UUID:
    """A new guild with the caller as its owner and an empty pool.

    :raises SlugTaken: if `slug` is given and taken. A slug made from the
        name gets a random suffix when taken.
    """
    for attempt in range(_SLUG_ATTEMPTS):
        candidate = slug or slug_from_name(name)
        if slug is None and attempt > 0:
            candidate = f"{candidate[:55].rstrip('-')}-{secrets.token_hex(4)}"
        guild = Guild(
            name=name,
            slug=candidate,
            created_by=user_id,
            created_at=now,
            updated_at=now,
        )
        try:
            async with Guild._meta.db.transaction():
                await Guild.insert(guild)
                await GuildPool.insert(
                    GuildPool(guild=guild.id, created_at=now, updated_at=now)
                )
                await join(guild.id, user_id, GuildRole.owner, now=now)
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name != SLUG_CONSTRAINT:
                raise
            if slug is not None:
                raise SlugTaken() from error
            continue
        return guild.id
    raise SlugTaken("No free slug was found for this name; choose one")


_MY_GUILDS = """
SELECT g.id, g.name, g.slug, m.role, g.created_at
FROM auth.guild_members AS m
JOIN auth.guilds AS g ON g.id = m.guild_id
WHERE m.user_id = $1::uuid
ORDER BY g.name, g.id
"""


async def list_guilds(user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The guilds the user is a member of, with their role, by name."""
    return [dict(row) for row in await fetch(_MY_GUILDS, user_id)]


_GUILD = """
SELECT g.id, g.name, g.slug, g.created_at, g.updated_at, m.role,
       p.balance, p.total_funded, p.total_spent
FROM auth.guilds AS g
JOIN auth.guild_members AS m ON m.guild_id = g.id AND m.user_id = $2::uuid
JOIN credits.guild_pools AS p ON p.guild_id = g.id
WHERE g.id = $1::uuid
"""

_MEMBERS = """
SELECT m.user_id, u.email, u.name, m.role, m.created_at AS joined_at
FROM auth.guild_members AS m
JOIN auth.users AS u ON u.id = m.user_id
WHERE m.guild_id = $1::uuid
ORDER BY m.created_at, m.user_id
"""


async def guild_detail(guild_id: uuid.UUID, user_id: uuid.UUID) -> GuildView:
    """The guild, its pool and its members, as the member `user_id` sees it.

    :raises GuildNotFound: unless the user is a member.
    """
    row = await fetch_one(_GUILD, guild_id, user_id)
    if row is None:
        raise GuildNotFound()
    members = [dict(member) for member in await fetch(_MEMBERS, guild_id)]
    return GuildView(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        role=GuildRole(row["role"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        pool={
            "balance": row["balance"],
            "total_funded": row["total_funded"],
            "total_spent": row["total_spent"],
        },
        members=members,
    )


async def update_guild(
    guild_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    name: str | None,
    slug: str | None,
    now: datetime,
) -> None:
    """Rename the guild or change its slug (owners and admins).

    :raises GuildNotFound, GuildRoleRequired: as `require_member`.
    :raises SlugTaken: if another guild has the slug.
    """
    changes: dict[Any, Any] = {Guild.updated_at: now}
    if name is not None:
        changes[Guild.name] = name
    if slug is not None:
        changes[Guild.slug] = slug
    try:
        async with Guild._meta.db.transaction():
            role = await lock_guild(guild_id, user_id)
            if role not in MANAGERS:
                raise GuildRoleRequired()
            await Guild.update(changes).where(Guild.id == guild_id)
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name != SLUG_CONSTRAINT:
            raise
        raise SlugTaken() from error


async def delete_guild(guild_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Delete the guild with its members, invitations, limits, pool and the
    pool's ledger (owners only, and only while the pool is empty: credits
    are never deleted). The members' own ledgers keep their funding rows.

    :raises GuildNotFound, GuildRoleRequired: as `require_member`.
    :raises PoolNotEmpty: while the pool holds credits.
    """
    async with Guild._meta.db.transaction():
        role = await lock_guild(guild_id, user_id)
        if role is not GuildRole.owner:
            raise GuildRoleRequired()
        pool = (
            await GuildPool.select(GuildPool.balance)
            .where(GuildPool.guild == guild_id)
            .lock_rows()
            .first()
        )
        if pool is not None and pool["balance"] > 0:
            raise PoolNotEmpty()
        await Guild.delete().where(Guild.id == guild_id)


async def _target_role(guild_id: uuid.UUID, target_id: uuid.UUID) -> GuildRole:
    role = await member_role(guild_id, target_id)
    if role is None:
        raise MemberNotFound()
    return role


async def _owners(guild_id: uuid.UUID) -> int:
    return await GuildMember.count().where(
        (GuildMember.guild == guild_id) & (GuildMember.role == GuildRole.owner)
    )


async def remove_member(
    guild_id: uuid.UUID, user_id: uuid.UUID, target_id: uuid.UUID
) -> None:
    """Remove `target_id` from the guild: anyone may leave, owners remove
    anyone, admins remove plain members. The limits row (and so today's
    spending) stays for a return.

    :raises GuildNotFound, GuildRoleRequired: as `require_member`.
    :raises MemberNotFound: if the target is not a member.
    :raises LastOwner: if the last owner would leave.
    """
    async with Guild._meta.db.transaction():
        role = await lock_guild(guild_id, user_id)
        if target_id != user_id and role not in MANAGERS:
            raise GuildRoleRequired()
        target_role = await _target_role(guild_id, target_id)
        if (
            target_id != user_id
            and role is GuildRole.admin
            and target_role is not GuildRole.member
        ):
            raise GuildRoleRequired("Admins remove members only")
        if target_role is GuildRole.owner and await _owners(guild_id) == 1:
            raise LastOwner()
        await GuildMember.delete().where(
            (GuildMember.guild == guild_id) & (GuildMember.user == target_id)
        )


async def change_role(
    guild_id: uuid.UUID,
    user_id: uuid.UUID,
    target_id: uuid.UUID,
    new_role: GuildRole,
    *,
    now: datetime,
) -> None:
    """Give a member another role (owners only).

    :raises GuildNotFound, GuildRoleRequired: as `require_member`.
    :raises MemberNotFound: if the target is not a member.
    :raises LastOwner: if the last owner would stop being one.
    """
    async with Guild._meta.db.transaction():
        role = await lock_guild(guild_id, user_id)
        if role is not GuildRole.owner:
            raise GuildRoleRequired()
        target_role = await _target_role(guild_id, target_id)
        if (
            target_role is GuildRole.owner
            and new_role is not GuildRole.owner
            and await _owners(guild_id) == 1
        ):
            raise LastOwner()
        await GuildMember.update(
            {GuildMember.role: new_role, GuildMember.updated_at: now}
        ).where((GuildMember.guild == guild_id) & (GuildMember.user == target_id))


async def ensure_limits_row(guild_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Open the limits row of a member who has none (one added in the
    admin): spending needs it."""
    await fetch(
        """
        INSERT INTO credits.guild_member_limits (id, guild_id, user_id)
        SELECT $1::uuid, $2::uuid, $3::uuid
        WHERE EXISTS (SELECT FROM auth.guild_members
                      WHERE guild_id = $2::uuid AND user_id = $3::uuid)
        ON CONFLICT (guild_id, user_id) DO NOTHING
        """,
        uuid.uuid4(),
        guild_id,
        user_id,
    )
