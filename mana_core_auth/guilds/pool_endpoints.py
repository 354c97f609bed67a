"""HTTP routes under `/api/v1/credits/guild/{guild_id}`: a guild's pool.

Non-members get 404 `GUILD_NOT_FOUND` for everything of a guild, members
without the role 403 `GUILD_ROLE_REQUIRED`. Refunds are for `service` and
`admin` tokens, as for a member's own credits.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from auth_tables.tables import Role
from credit_tables.tables import GuildPoolTransactionType
from mana_core_auth.auth.principal import Principal, require_role
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.credits.schemas import RefundRequest, SpendRequest
from mana_core_auth.dependencies import AppSettings
from mana_core_auth.guilds import limits, pool, refunds
from mana_core_auth.guilds.funding import fund
from mana_core_auth.guilds.schemas import (
    FundRequest,
    FundResponse,
    LimitsRequest,
    LimitsResponse,
    PoolChangeResponse,
    PoolResponse,
    PoolTransactionResponse,
)
from mana_core_auth.schemas import error_responses
from mana_core_auth.security.tokens import AccessClaims

router = APIRouter(prefix="/credits/guild/{guild_id}", tags=["guild credits"])

NOT_FOUND = (404, "`GUILD_NOT_FOUND`: no such guild, or the caller is not a member")
ROLE = (403, "`GUILD_ROLE_REQUIRED`: the caller's role does not allow this")
KEY_REUSED = (422, "`IDEMPOTENCY_KEY_REUSED`: the key was used with another request")
MEMBER_NOT_FOUND = (404, "`GUILD_NOT_FOUND`, or `MEMBER_NOT_FOUND`")
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=2**63 - 1)]


@router.get(
    "/balance",
    response_model=PoolResponse,
    responses=error_responses(NOT_FOUND),
    summary="The guild's pool",
)
async def get_pool(guild_id: uuid.UUID, principal: Principal) -> PoolResponse:
    state = await pool.pool_state(guild_id, principal.user_id)
    return PoolResponse.model_validate(state)


@router.post(
    "/fund",
    status_code=201,
    response_model=FundResponse,
    responses=error_responses(
        (400, "Invalid request, or `INSUFFICIENT_CREDITS`: the caller has less"),
        NOT_FOUND,
        KEY_REUSED,
    ),
    summary="Move the caller's own credits into the pool; exactly once per key",
)
async def fund_pool(
    guild_id: uuid.UUID, principal: Principal, body: FundRequest, settings: AppSettings
) -> FundResponse:
    """Free credits go first. Both sides are written in one transaction:
    a `funding` row in the pool's ledger, an `adjustment` in the caller's."""
    funding = await fund(
        guild_id,
        principal.user_id,
        amount=body.amount,
        idempotency_key=body.idempotency_key,
        now=utc_now(),
        settings=settings,
    )
    return FundResponse.model_validate(funding)


@router.post(
    "/use",
    status_code=201,
    response_model=PoolChangeResponse,
    responses=error_responses(
        (
            400,
            "Invalid request, `SPENDING_LIMIT_EXCEEDED`: past the caller's daily "
            "or monthly limit, or `INSUFFICIENT_CREDITS`: past the pool",
        ),
        NOT_FOUND,
        KEY_REUSED,
    ),
    summary="Spend from the pool for the caller; exactly once per key",
)
async def use_pool(
    guild_id: uuid.UUID, principal: Principal, body: SpendRequest
) -> PoolChangeResponse:
    change = await pool.spend(
        guild_id,
        principal.user_id,
        amount=body.amount,
        app_id=body.app_id,
        description=body.description,
        metadata=body.metadata,
        idempotency_key=body.idempotency_key,
        now=utc_now(),
    )
    return PoolChangeResponse.model_validate(change)


@router.get(
    "/transactions",
    response_model=list[PoolTransactionResponse],
    responses=error_responses(NOT_FOUND),
    summary="The pool's ledger, newest first (every member sees all of it)",
)
async def get_transactions(
    guild_id: uuid.UUID,
    principal: Principal,
    limit: Limit = 50,
    offset: Offset = 0,
    type: GuildPoolTransactionType | None = None,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
) -> list[PoolTransactionResponse]:
    entries = await pool.list_transactions(
        guild_id,
        principal.user_id,
        limit=limit,
        offset=offset,
        kind=type,
        member_id=user_id,
    )
    return [PoolTransactionResponse.model_validate(entry) for entry in entries]


@router.get(
    "/members/{user_id}/limits",
    response_model=LimitsResponse,
    responses=error_responses(ROLE, MEMBER_NOT_FOUND),
    summary="A member's spending limits and spending (owners, admins, oneself)",
)
async def get_limits(
    guild_id: uuid.UUID, user_id: uuid.UUID, principal: Principal
) -> LimitsResponse:
    found = await limits.read_limits(
        guild_id, principal.user_id, user_id, now=utc_now()
    )
    return LimitsResponse.model_validate(found)


@router.put(
    "/members/{user_id}/limits",
    response_model=LimitsResponse,
    responses=error_responses(ROLE, MEMBER_NOT_FOUND),
    summary="Set a member's daily and monthly limits; null lifts one "
    "(owners and admins; admins cannot limit owners)",
)
async def put_limits(
    guild_id: uuid.UUID, user_id: uuid.UUID, principal: Principal, body: LimitsRequest
) -> LimitsResponse:
    found = await limits.set_limits(
        guild_id,
        principal.user_id,
        user_id,
        daily_limit=body.daily_limit,
        monthly_limit=body.monthly_limit,
        now=utc_now(),
    )
    return LimitsResponse.model_validate(found)


@router.post(
    "/transactions/{transaction_id}/refund",
    status_code=201,
    response_model=PoolChangeResponse,
    responses=error_responses(
        (400, "Invalid request, or `NOT_REFUNDABLE`: not a usage"),
        (403, "Not a service or admin token"),
        (404, "`GUILD_NOT_FOUND`, or `TRANSACTION_NOT_FOUND`"),
        (409, "`ALREADY_REFUNDED`"),
    ),
    summary="Give a usage back to the pool once (service and admin tokens only)",
)
async def refund_usage(
    guild_id: uuid.UUID,
    transaction_id: uuid.UUID,
    body: RefundRequest,
    principal: Annotated[AccessClaims, require_role(Role.service, Role.admin)],
) -> PoolChangeResponse:
    change = await refunds.refund(
        guild_id,
        transaction_id,
        reason=body.reason,
        refunded_by=f"{principal.role}:{principal.user_id}",
        now=utc_now(),
    )
    return PoolChangeResponse.model_validate(change)
