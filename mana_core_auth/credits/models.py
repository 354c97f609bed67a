"""Request and response bodies of `/api/v1/credits` (camelCase on the wire)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StrictInt, StrictStr

from credit_tables.tables import TransactionStatus, TransactionType
from mana_core_auth.schemas import ApiModel

MAX_AMOUNT = 1_000_000

# Strict: 1.0, "1" and true are refused, not coerced.
Amount = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT)]
AppId = Annotated[StrictStr, Field(min_length=1, max_length=255)]


class SpendRequest(ApiModel):
    amount: Amount
    app_id: AppId
    description: Annotated[StrictStr, Field(max_length=1000)]
    idempotency_key: (
        Annotated[StrictStr, Field(min_length=1, max_length=255)] | None
    ) = None
    metadata: dict[str, Any] | None = None


class RefundRequest(ApiModel):
    reason: Annotated[StrictStr, Field(min_length=1, max_length=1000)]


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
    status: TransactionStatus
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
