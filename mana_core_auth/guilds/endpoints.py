"""HTTP routes under `/api/v1/guilds`.

Non-members get 404 `GUILD_NOT_FOUND` for everything of a guild, members
without the role 403 `GUILD_ROLE_REQUIRED`.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks

from mana_core_auth.auth.dependencies import AppMailer
from mana_core_auth.auth.email_links.mail_jobs import run_mail_job
from mana_core_auth.auth.principal import Principal
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.dependencies import AppSettings
from mana_core_auth.guilds import invitations, membership
from mana_core_auth.guilds.schemas import (
    AcceptInvitationRequest,
    ChangeRoleRequest,
    CreateGuildRequest,
    GuildResponse,
    GuildSummaryResponse,
    InvitationResponse,
    InviteRequest,
    UpdateGuildRequest,
)
from mana_core_auth.schemas import MessageResponse, error_responses

router = APIRouter(prefix="/guilds", tags=["guilds"])

NOT_FOUND = (404, "`GUILD_NOT_FOUND`: no such guild, or the caller is not a member")
ROLE = (403, "`GUILD_ROLE_REQUIRED`: the caller's role does not allow this")
MEMBER_NOT_FOUND = (404, "`GUILD_NOT_FOUND`, or `MEMBER_NOT_FOUND`")
LAST_OWNER = (409, "`LAST_OWNER`: the guild would be left without an owner")
SLUG_TAKEN = (409, "`SLUG_TAKEN`")


async def _detail(guild_id: uuid.UUID, user_id: uuid.UUID) -> GuildResponse:
    view = await membership.guild_detail(guild_id, user_id)
    return GuildResponse.model_validate(view)


@router.post(
    "",
    status_code=201,
    response_model=GuildResponse,
    responses=error_responses(SLUG_TAKEN),
    summary="Create a guild with an empty pool; the caller is its owner",
)
async def create_guild(principal: Principal, body: CreateGuildRequest) -> GuildResponse:
    guild_id = await membership.create_guild(
        principal.user_id, name=body.name, slug=body.slug, now=utc_now()
    )
    return await _detail(guild_id, principal.user_id)


@router.get(
    "",
    response_model=list[GuildSummaryResponse],
    summary="The guilds the caller is a member of, with their role",
)
async def list_guilds(principal: Principal) -> list[GuildSummaryResponse]:
    rows = await membership.list_guilds(principal.user_id)
    return [GuildSummaryResponse.model_validate(row) for row in rows]


@router.post(
    "/accept-invitation",
    response_model=GuildResponse,
    responses=error_responses(
        (400, "`INVALID_OR_EXPIRED_INVITATION`: unknown, used, revoked or expired"),
        (403, "`INVITATION_FOR_ANOTHER_ACCOUNT`: sent to another email address"),
        (409, "`ALREADY_MEMBER`"),
    ),
    summary="Join a guild with the token from an invitation mail",
)
async def accept_invitation(
    principal: Principal, body: AcceptInvitationRequest
) -> GuildResponse:
    """Accepted by the account whose email the invitation was sent to."""
    guild_id = await invitations.accept(body.token, principal.user_id, now=utc_now())
    return await _detail(guild_id, principal.user_id)


@router.get(
    "/{guild_id}",
    response_model=GuildResponse,
    responses=error_responses(NOT_FOUND),
    summary="A guild the caller is a member of: its members and pool",
)
async def get_guild(guild_id: uuid.UUID, principal: Principal) -> GuildResponse:
    return await _detail(guild_id, principal.user_id)


@router.put(
    "/{guild_id}",
    response_model=GuildResponse,
    responses=error_responses(ROLE, NOT_FOUND, SLUG_TAKEN),
    summary="Rename a guild or change its slug (owners and admins)",
)
async def update_guild(
    guild_id: uuid.UUID, principal: Principal, body: UpdateGuildRequest
) -> GuildResponse:
    await membership.update_guild(
        guild_id, principal.user_id, name=body.name, slug=body.slug, now=utc_now()
    )
    return await _detail(guild_id, principal.user_id)


@router.delete(
    "/{guild_id}",
    response_model=MessageResponse,
    responses=error_responses(
        ROLE, NOT_FOUND, (409, "`GUILD_POOL_NOT_EMPTY`: spend the pool first")
    ),
    summary="Delete a guild whose pool is empty (owners)",
)
async def delete_guild(guild_id: uuid.UUID, principal: Principal) -> MessageResponse:
    await membership.delete_guild(guild_id, principal.user_id)
    return MessageResponse(message="Guild deleted")


@router.post(
    "/{guild_id}/invite",
    status_code=201,
    response_model=InvitationResponse,
    responses=error_responses(
        ROLE,
        NOT_FOUND,
        (409, "`ALREADY_MEMBER`"),
        (429, "Too many invitations; see Retry-After"),
    ),
    summary="Mail a single-use invitation link (owners and admins)",
)
async def invite(
    guild_id: uuid.UUID,
    principal: Principal,
    body: InviteRequest,
    settings: AppSettings,
    mailer: AppMailer,
    background: BackgroundTasks,
) -> InvitationResponse:
    """Only owners invite owners. Inviting an address again makes its
    earlier link stop working."""
    created = await invitations.invite(
        guild_id,
        principal.user_id,
        email=body.email,
        role=body.role,
        settings=settings,
        now=utc_now(),
    )
    background.add_task(
        run_mail_job,
        invitations.send_invitation_mail,
        to=body.email,
        guild_name=created.guild_name,
        role=body.role,
        token=created.token,
        mailer=mailer,
        settings=settings,
    )
    return InvitationResponse.model_validate(created.invitation)


@router.get(
    "/{guild_id}/invitations",
    response_model=list[InvitationResponse],
    responses=error_responses(ROLE, NOT_FOUND),
    summary="Pending invitations, newest first (owners and admins)",
)
async def list_invitations(
    guild_id: uuid.UUID, principal: Principal
) -> list[InvitationResponse]:
    rows = await invitations.pending_invitations(
        guild_id, principal.user_id, now=utc_now()
    )
    return [InvitationResponse.model_validate(row) for row in rows]


@router.delete(
    "/{guild_id}/invitations/{invitation_id}",
    response_model=MessageResponse,
    responses=error_responses(
        ROLE, (404, "`GUILD_NOT_FOUND`, or `INVITATION_NOT_FOUND`")
    ),
    summary="Revoke a pending invitation (owners and admins)",
)
async def revoke_invitation(
    guild_id: uuid.UUID, invitation_id: uuid.UUID, principal: Principal
) -> MessageResponse:
    await invitations.revoke(guild_id, principal.user_id, invitation_id, now=utc_now())
    return MessageResponse(message="Invitation revoked")


@router.delete(
    "/{guild_id}/members/{user_id}",
    response_model=MessageResponse,
    responses=error_responses(ROLE, MEMBER_NOT_FOUND, LAST_OWNER),
    summary="Leave the guild, or remove a member (owners; admins remove members)",
)
async def remove_member(
    guild_id: uuid.UUID, user_id: uuid.UUID, principal: Principal
) -> MessageResponse:
    await membership.remove_member(guild_id, principal.user_id, user_id)
    left = user_id == principal.user_id
    return MessageResponse(message="Left the guild" if left else "Member removed")


@router.put(
    "/{guild_id}/members/{user_id}/role",
    response_model=GuildResponse,
    responses=error_responses(ROLE, MEMBER_NOT_FOUND, LAST_OWNER),
    summary="Give a member another role (owners)",
)
async def change_role(
    guild_id: uuid.UUID,
    user_id: uuid.UUID,
    principal: Principal,
    body: ChangeRoleRequest,
) -> GuildResponse:
    await membership.change_role(
        guild_id, principal.user_id, user_id, body.role, now=utc_now()
    )
    return await _detail(guild_id, principal.user_id)
