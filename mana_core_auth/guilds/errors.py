"""Errors of the guild and pool API; codes are stable, apps match on them."""

from __future__ import annotations

from mana_core_auth.errors import AppError, Conflict, Forbidden, NotFound


class GuildNotFound(NotFound):
    """Also the answer to everyone who is not a member: a guild's existence
    is nobody else's business."""

    code = "GUILD_NOT_FOUND"
    message = "Guild not found"


class GuildRoleRequired(Forbidden):
    code = "GUILD_ROLE_REQUIRED"
    message = "Your role in this guild does not allow this"


class SlugTaken(Conflict):
    code = "SLUG_TAKEN"
    message = "A guild with this slug exists already"


class MemberNotFound(NotFound):
    code = "MEMBER_NOT_FOUND"
    message = "This user is not a member of the guild"


class AlreadyMember(Conflict):
    code = "ALREADY_MEMBER"
    message = "This user is a member of the guild already"


class LastOwner(Conflict):
    code = "LAST_OWNER"
    message = "A guild keeps at least one owner; make someone else owner first"


class PoolNotEmpty(Conflict):
    code = "GUILD_POOL_NOT_EMPTY"
    message = "The guild's pool still holds credits; spend them first"


class InvitationNotFound(NotFound):
    code = "INVITATION_NOT_FOUND"
    message = "No pending invitation with this id"


class InvalidInvitation(AppError):
    """Unknown, used, revoked, superseded or expired: one answer for all."""

    code = "INVALID_OR_EXPIRED_INVITATION"
    message = "This invitation is invalid, used, revoked or has expired"


class InvitationForAnotherAccount(Forbidden):
    code = "INVITATION_FOR_ANOTHER_ACCOUNT"
    message = "This invitation was sent to another email address"


class SpendingLimitExceeded(AppError):
    code = "SPENDING_LIMIT_EXCEEDED"
    message = "This would exceed your spending limit in this guild"
