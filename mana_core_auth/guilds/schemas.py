"""Request and response bodies of `/api/v1/guilds` and
`/api/v1/credits/guild/{guildId}` (camelCase on the wire)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictInt,
    StrictStr,
    model_validator,
)

from auth_tables.tables import GuildRole
from credit_tables.tables import GuildPoolTransactionType
from mana_core_auth.auth.schemas import NewEmail
from mana_core_auth.credits.schemas import (
    Amount,
    NewBalanceResponse,
    TransactionResponse,
)
from mana_core_auth.schemas import ApiModel, NoNul

NAME_MAX_LENGTH = 100
SLUG_MAX_LENGTH = 64
SLUG_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
# An int4 column holds the limits.
MAX_LIMIT = 2**31 - 1


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _printable_name(value: str) -> str:
    # The name is the one text from users that invitation mails carry:
    # no control, format (e.g. bidirectional overrides), surrogate or
    # private-use characters, no line breaks.
    for character in value:
        category = unicodedata.category(character)
        if category.startswith("C") or category in ("Zl", "Zp"):
            raise ValueError("must not contain control or invisible characters")
    return value


def _slug(value: str) -> str:
    if not SLUG_PATTERN.fullmatch(value):
        raise ValueError(
            "lower-case letters and digits, in groups joined by single hyphens"
        )
    return value


GuildName = Annotated[
    StrictStr,
    BeforeValidator(_strip),
    Field(min_length=1, max_length=NAME_MAX_LENGTH, examples=["The Lovelaces"]),
    AfterValidator(_printable_name),
]
Slug = Annotated[
    StrictStr,
    BeforeValidator(_lower),
    Field(min_length=1, max_length=SLUG_MAX_LENGTH, examples=["the-lovelaces"]),
    AfterValidator(_slug),
]
SpendingLimit = Annotated[
    StrictInt | None,
    Field(ge=0, le=MAX_LIMIT, description="Credits; null for no limit"),
]
IdempotencyKey = Annotated[StrictStr, Field(min_length=1, max_length=255), NoNul]


class CreateGuildRequest(ApiModel):
    name: GuildName
    slug: Slug | None = Field(
        default=None, description="Made from the name when left out"
    )


class UpdateGuildRequest(ApiModel):
    name: GuildName | None = None
    slug: Slug | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateGuildRequest:
        if self.name is None and self.slug is None:
            raise ValueError("give a name, a slug or both")
        return self


class InviteRequest(ApiModel):
    email: NewEmail
    role: GuildRole = GuildRole.member


class AcceptInvitationRequest(ApiModel):
    token: Annotated[StrictStr, Field(min_length=1, max_length=128), NoNul]


class ChangeRoleRequest(ApiModel):
    role: GuildRole


class FundRequest(ApiModel):
    amount: Amount
    idempotency_key: IdempotencyKey | None = None


class LimitsRequest(ApiModel):
    """Both fields are required; null lifts a limit."""

    daily_limit: SpendingLimit
    monthly_limit: SpendingLimit


class PoolResponse(ApiModel):
    balance: int
    total_funded: int
    total_spent: int


class MemberResponse(ApiModel):
    user_id: uuid.UUID
    email: str
    name: str | None
    role: GuildRole
    joined_at: datetime


class GuildSummaryResponse(ApiModel):
    id: uuid.UUID
    name: str
    slug: str
    role: GuildRole = Field(description="The caller's role")
    created_at: datetime


class GuildResponse(GuildSummaryResponse):
    updated_at: datetime
    pool: PoolResponse
    members: list[MemberResponse]


class InvitationResponse(ApiModel):
    id: uuid.UUID
    guild_id: uuid.UUID
    email: str
    role: GuildRole
    invited_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime


class PoolTransactionResponse(ApiModel):
    id: uuid.UUID
    guild_id: uuid.UUID
    user_id: uuid.UUID | None
    type: GuildPoolTransactionType
    amount: int
    balance_before: int
    balance_after: int
    app_id: str | None
    description: str | None
    metadata: dict[str, Any] | None
    idempotency_key: str | None
    personal_transaction_id: uuid.UUID | None
    refund_of: uuid.UUID | None
    created_at: datetime


class PoolChangeResponse(ApiModel):
    success: bool = True
    transaction: PoolTransactionResponse
    pool: PoolResponse


class FundResponse(PoolChangeResponse):
    personal_transaction: TransactionResponse
    new_balance: NewBalanceResponse = Field(
        description="The caller's own credits after the funding"
    )


class LimitsResponse(ApiModel):
    user_id: uuid.UUID
    daily_limit: int | None
    monthly_limit: int | None
    used_today: int
    used_this_month: int
