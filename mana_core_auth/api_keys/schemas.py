"""Request and response bodies of `/api/v1/api-keys` (camelCase on the wire)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StrictStr

from mana_core_auth.api_keys.scopes import Scope
from mana_core_auth.schemas import ApiModel, NoNul


def _in_utc(value: datetime) -> datetime:
    # A moment near year 1 or 9999 in a far time zone is outside what Python
    # (and so the database driver) can hold in UTC.
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


KeyName = Annotated[StrictStr, Field(min_length=1, max_length=100), NoNul]


class CreateApiKeyRequest(ApiModel):
    name: KeyName
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=len(Scope),
        description="Personal keys may hold `credits:read` and `credits:spend`",
    )
    expires_at: Annotated[
        AwareDatetime | None,
        AfterValidator(lambda value: None if value is None else _in_utc(value)),
    ] = Field(default=None, description="With a time zone; never expires if left out")


class ApiKeyResponse(ApiModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The key's start, to tell keys apart")
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None = Field(
        description="Within a minute: uses are noted at most once a minute"
    )
    expires_at: datetime | None


class CreatedApiKeyResponse(ApiKeyResponse):
    key: str = Field(description="The key itself: shown this once, never again")


class ValidateApiKeyRequest(ApiModel):
    key: Annotated[StrictStr, Field(min_length=1, max_length=512)]
    scope: Scope | None = Field(
        default=None, description="Valid only if the key has this scope"
    )


class ApiKeyValidationResponse(ApiModel):
    valid: bool
    user_id: uuid.UUID | None = Field(default=None, description="The key's owner")
    scopes: list[Scope] | None = None
    key_id: uuid.UUID | None = None
    error: str | None = Field(default=None, description="Why not, when invalid")
