"""Request and response bodies of `/api/v1/credits` (camelCase on the wire)."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictInt, StrictStr

from credit_tables.tables import PurchaseStatus, TransactionStatus, TransactionType
from mana_core_auth.schemas import ApiModel, NoNul, without_nul

MAX_AMOUNT = 1_000_000

# Strict: 1.0, "1" and true are refused, not coerced.
Amount = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT)]
AppId = Annotated[StrictStr, Field(min_length=1, max_length=255), NoNul]
# Objects and arrays within `metadata`, itself included. Answers cannot show
# more than about 250 (pydantic's serialization limit).
MAX_METADATA_DEPTH = 32


def _storable_as_jsonb(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # Python's JSON parser lets through what PostgreSQL's jsonb refuses: NaN
    # and Infinity, NUL characters and unpaired surrogates; and nesting that
    # jsonb stores but the answer cannot be serialized with. Refuse them here
    # rather than fail there (without recursion: the nesting is the client's).
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list) and depth > MAX_METADATA_DEPTH:
            raise ValueError(f"must not nest deeper than {MAX_METADATA_DEPTH} levels")
        if isinstance(item, dict):
            pending.extend((key, depth) for key in item)
            pending.extend((inner, depth + 1) for inner in item.values())
        elif isinstance(item, list):
            pending.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError("must not contain NaN or Infinity")
        elif isinstance(item, str):
            without_nul(item)
            try:
                item.encode()
            except UnicodeEncodeError:
                raise ValueError("must not contain unpaired surrogates") from None
    return value


Metadata = Annotated[dict[str, Any] | None, AfterValidator(_storable_as_jsonb)]


class SpendRequest(ApiModel):
    amount: Amount
    app_id: AppId
    description: Annotated[StrictStr, Field(max_length=1000), NoNul]
    idempotency_key: (
        Annotated[StrictStr, Field(min_length=1, max_length=255), NoNul] | None
    ) = None
    metadata: Metadata = None
    user_id: uuid.UUID | None = Field(
        default=None,
        description="Whose credits: required with a service key; otherwise "
        "the caller's own id or left out",
    )


class RefundRequest(ApiModel):
    reason: Annotated[StrictStr, Field(min_length=1, max_length=1000), NoNul]


class BalanceResponse(ApiModel):
    balance: int
    free_credits_remaining: int
    total_earned: int
    total_spent: int
    daily_free_credits: int


class NewBalanceResponse(ApiModel):
    balance: int
    free_credits_remaining: int
    total_spent: int


class TransactionResponse(ApiModel):
    id: uuid.UUID
    user_id: uuid.UUID
    type: TransactionType
    status: TransactionStatus
    amount: int
    balance_before: int
    balance_after: int
    app_id: str | None
    description: str | None
    metadata: dict[str, Any] | None
    idempotency_key: str | None
    refund_of: uuid.UUID | None
    created_at: datetime
    completed_at: datetime | None


class LedgerChangeResponse(ApiModel):
    success: bool = True
    transaction: TransactionResponse
    new_balance: NewBalanceResponse


class PurchaseResponse(ApiModel):
    id: uuid.UUID
    package_id: uuid.UUID | None
    credits: int
    price_euro_cents: int
    status: PurchaseStatus
    # Credits that refunds of the payment called back.
    refunded_credits: int
    created_at: datetime
    completed_at: datetime | None


class PackageResponse(ApiModel):
    id: uuid.UUID
    name: str
    description: str | None
    credits: int
    price_euro_cents: int
    sort_order: int


class UsageResponse(ApiModel):
    app_id: str
    date: date
    credits_used: int
