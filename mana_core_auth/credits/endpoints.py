"""HTTP routes under `/api/v1/credits`."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from credit_tables.tables import TransactionType
from mana_core_auth.api_keys.scopes import Scope
from mana_core_auth.auth.caller import Caller, allow
from mana_core_auth.credits import history
from mana_core_auth.credits.caller_spending import spend_for_caller
from mana_core_auth.credits.daily_grant import read_balance
from mana_core_auth.credits.ledger import utc_date, utc_now
from mana_core_auth.credits.packages import list_packages_on_sale
from mana_core_auth.credits.refunds import refund
from mana_core_auth.credits.schemas import (
    BalanceResponse,
    LedgerChangeResponse,
    PackageResponse,
    PurchaseResponse,
    RefundRequest,
    SpendRequest,
    TransactionResponse,
    UsageResponse,
)
from mana_core_auth.dependencies import AppSettings
from mana_core_auth.errors import AppError
from mana_core_auth.schemas import NoNul, error_responses
from mana_core_auth.settings import Settings

router = APIRouter(prefix="/credits", tags=["credits"])


Limit = Annotated[int, Query(ge=1, le=100)]
# PostgreSQL's OFFSET is a bigint.
Offset = Annotated[int, Query(ge=0, le=2**63 - 1)]
AppIdFilter = Annotated[str | None, Query(alias="appId", max_length=255), NoNul]
# Sessions, and keys with the scope; `auth.caller` says who may do what.
Reader = Annotated[Caller, allow(Scope.credits_read)]
Spender = Annotated[Caller, allow(Scope.credits_spend)]
Refunder = Annotated[Caller, allow(Scope.credits_refund)]
MAX_USAGE_DAYS = 366
DEFAULT_USAGE_DAYS = 30


def _days_before(day: date, days: int) -> date:
    """`days` days before `day`, or the first date there is."""
    return date.min + max(day - date.min - timedelta(days=days), timedelta(0))


@router.get(
    "/balance",
    response_model=BalanceResponse,
    summary="The caller's credits; grants the daily free credits if due",
)
async def get_balance(caller: Reader, settings: AppSettings) -> BalanceResponse:
    return await balance_of(caller.own_user_id(), settings)


async def balance_of(user_id: uuid.UUID, settings: Settings) -> BalanceResponse:
    """The route's work, which `hot_routes` does for it too."""
    view = await read_balance(user_id, now=utc_now(), settings=settings)
    return BalanceResponse.model_validate(view)


@router.post(
    "/use",
    status_code=201,
    response_model=LedgerChangeResponse,
    summary="Spend the caller's credits, free ones first; exactly once per key",
    responses=error_responses(
        (
            400,
            "Invalid request, `INSUFFICIENT_CREDITS`: Insufficient credits, or "
            "`USER_ID_REQUIRED`: a service key without `userId`",
        ),
        (403, "`INSUFFICIENT_SCOPE`, or `OTHER_USER_FORBIDDEN`: another's `userId`"),
        (404, "`USER_NOT_FOUND`: a service key's `userId` is no live user"),
        (422, "`IDEMPOTENCY_KEY_REUSED`: the key was used with another body"),
        (
            503,
            "`BALANCE_BUSY`: this user's earlier spends held the balance past "
            "the lock timeout, or `DATABASE_UNAVAILABLE`; retry with the same key",
        ),
    ),
)
async def use_credits(
    caller: Spender, body: SpendRequest, settings: AppSettings
) -> LedgerChangeResponse:
    """Spend the caller's credits, or with a service key (`credits:spend`)
    those of the user named in `userId`. With `idempotencyKey`, a retry
    returns the first answer and spends nothing."""
    return await spend_as_requested(caller, body, settings)


async def spend_as_requested(
    caller: Caller, body: SpendRequest, settings: Settings
) -> LedgerChangeResponse:
    """The route's work, which `hot_routes` does for it too."""
    change = await spend_for_caller(
        caller,
        user_id=body.user_id,
        amount=body.amount,
        app_id=body.app_id,
        description=body.description,
        metadata=body.metadata,
        idempotency_key=body.idempotency_key,
        now=utc_now(),
        settings=settings,
    )
    return LedgerChangeResponse.model_validate(change)


@router.get(
    "/transactions",
    response_model=list[TransactionResponse],
    summary="The caller's ledger, newest first",
)
async def get_transactions(
    caller: Reader,
    limit: Limit = 50,
    offset: Offset = 0,
    app_id: AppIdFilter = None,
    type: TransactionType | None = None,
) -> list[TransactionResponse]:
    entries = await history.list_transactions(
        caller.own_user_id(), limit=limit, offset=offset, app_id=app_id, kind=type
    )
    return [TransactionResponse.model_validate(entry) for entry in entries]


@router.post(
    "/transactions/{transaction_id}/refund",
    status_code=201,
    response_model=LedgerChangeResponse,
    summary="Refund a usage once (service keys with `credits:refund`, service "
    "and admin tokens)",
    responses=error_responses(
        (400, "Invalid request, or `NOT_REFUNDABLE`: not a completed usage"),
        (403, "Not a service or admin token, or `INSUFFICIENT_SCOPE`"),
        (404, "`TRANSACTION_NOT_FOUND`"),
        (409, "`ALREADY_REFUNDED`"),
    ),
)
async def refund_transaction(
    transaction_id: uuid.UUID,
    body: RefundRequest,
    caller: Refunder,
) -> LedgerChangeResponse:
    """Refund a usage once (service keys with `credits:refund`, service or
    admin tokens)."""
    change = await refund(
        transaction_id,
        reason=body.reason,
        refunded_by=caller.actor,
        now=utc_now(),
    )
    return LedgerChangeResponse.model_validate(change)


@router.get(
    "/purchases",
    response_model=list[PurchaseResponse],
    summary="The caller's purchases, newest first",
)
async def get_purchases(
    caller: Reader, limit: Limit = 50, offset: Offset = 0
) -> list[PurchaseResponse]:
    rows = await history.list_purchases(
        caller.own_user_id(), limit=limit, offset=offset
    )
    return [PurchaseResponse.model_validate(row) for row in rows]


@router.get(
    "/packages",
    response_model=list[PackageResponse],
    summary="Credit packages on sale, by sort order",
)
async def get_packages() -> list[PackageResponse]:
    rows = await list_packages_on_sale()
    return [PackageResponse.model_validate(row) for row in rows]


@router.get(
    "/usage",
    response_model=list[UsageResponse],
    summary="Credits the caller used per app and UTC day",
)
async def get_usage(
    caller: Reader,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    app_id: AppIdFilter = None,
) -> list[UsageResponse]:
    """The caller's credits used per app and UTC day, `from`..`to`
    inclusive (default: the last 30 days)."""
    last_day = to or utc_date(utc_now())
    first_day = from_ or _days_before(last_day, DEFAULT_USAGE_DAYS - 1)
    if first_day > last_day:
        raise AppError("`from` is after `to`")
    if (last_day - first_day).days >= MAX_USAGE_DAYS:
        raise AppError(f"At most {MAX_USAGE_DAYS} days at a time")
    rows = await history.usage_per_day(
        caller.own_user_id(), first_day=first_day, last_day=last_day, app_id=app_id
    )
    return [UsageResponse.model_validate(row) for row in rows]
