"""What a member may spend from the guild's pool per UTC day and month.

Owners and admins read and set every member's limits, except that admins
cannot limit owners; a member reads their own. `usedToday` and
`usedThisMonth` are what the member spent in the current UTC day and
month (less refunds).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from auth_tables.tables import GuildRole
from mana_core_auth.credits.ledger import utc_date
from mana_core_auth.guilds.errors import GuildRoleRequired, MemberNotFound
from mana_core_auth.guilds.membership import (
    MANAGERS,
    ensure_limits_row,
    member_role,
    require_member,
)
from mana_core_auth.sql import fetch_one


@dataclass(frozen=True)
class Limits:
    user_id: uuid.UUID
    daily_limit: int | None
    monthly_limit: int | None
    used_today: int
    used_this_month: int


# $3 today (UTC).
_READ = """
SELECT user_id, daily_limit, monthly_limit,
       CASE WHEN usage_day = $3::date THEN used_today ELSE 0 END AS used_today,
       CASE WHEN date_trunc('month', usage_day) = date_trunc('month', $3::date)
            THEN used_this_month ELSE 0 END AS used_this_month
FROM credits.guild_member_limits
WHERE guild_id = $1::uuid AND user_id = $2::uuid
"""

_SET = """
UPDATE credits.guild_member_limits SET
    daily_limit = $3::int, monthly_limit = $4::int, updated_at = $5::timestamptz
WHERE guild_id = $1::uuid AND user_id = $2::uuid
"""


async def _checked_target(
    guild_id: uuid.UUID, user_id: uuid.UUID, target_id: uuid.UUID, *, writing: bool
) -> None:
    role = await require_member(guild_id, user_id)
    if role not in MANAGERS and (writing or target_id != user_id):
        raise GuildRoleRequired()
    target_role = await member_role(guild_id, target_id)
    if target_role is None:
        raise MemberNotFound()
    if writing and role is GuildRole.admin and target_role is GuildRole.owner:
        raise GuildRoleRequired("Admins cannot limit owners")


async def read_limits(
    guild_id: uuid.UUID, user_id: uuid.UUID, target_id: uuid.UUID, *, now: datetime
) -> Limits:
    """:raises GuildNotFound, GuildRoleRequired: as `require_member`.
    :raises MemberNotFound: if the target is not a member."""
    await _checked_target(guild_id, user_id, target_id, writing=False)
    await ensure_limits_row(guild_id, target_id)
    row = await fetch_one(_READ, guild_id, target_id, utc_date(now))
    if row is None:
        raise MemberNotFound()
    return Limits(**dict(row))


async def set_limits(
    guild_id: uuid.UUID,
    user_id: uuid.UUID,
    target_id: uuid.UUID,
    *,
    daily_limit: int | None,
    monthly_limit: int | None,
    now: datetime,
) -> Limits:
    """Set (or, with None, lift) a member's limits; they apply to the next
    spend, counting what was spent already today and this month.

    :raises GuildNotFound, GuildRoleRequired: as `require_member`.
    :raises MemberNotFound: if the target is not a member.
    """
    await _checked_target(guild_id, user_id, target_id, writing=True)
    await ensure_limits_row(guild_id, target_id)
    await fetch_one(_SET, guild_id, target_id, daily_limit, monthly_limit, now)
    return await read_limits(guild_id, user_id, target_id, now=now)
