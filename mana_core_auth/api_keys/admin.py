"""The admin's view of API keys: the table (read-only, never the hash) and
forms to create a service key and to revoke any key. Creating and revoking
go through the forms only, so that each is a security event and a revoked
key cannot be brought back by an edit."""

from __future__ import annotations

import uuid
from datetime import timedelta

from piccolo_admin.endpoints import FormConfig
from piccolo_api.crud.endpoints import PiccoloCRUD
from piccolo_api.crud.validators import Validators
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.requests import Request

from mana_core_auth.api_keys.keys import load_key_hasher
from mana_core_auth.api_keys.scopes import Scope
from mana_core_auth.api_keys.service import create_service_key, revoke_key
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.errors import AppError
from mana_core_auth.settings import Settings

GROUP = "API keys"


def _refuse_edits(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    raise HTTPException(
        status_code=405,
        detail="API keys are created and revoked with the forms "
        "Create service key and Revoke API key.",
    )


READ_ONLY = Validators(
    post_single=[_refuse_edits],
    put_single=[_refuse_edits],
    patch_single=[_refuse_edits],
    delete_single=[_refuse_edits],
    delete_all=[_refuse_edits],
)


class CreateServiceKeyForm(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="e.g. chat")
    app_id: str = Field(
        default="",
        max_length=255,
        description="The app whose backend calls with it; the name if empty",
    )
    credits_spend: bool = Field(
        default=True, description="credits:spend: spend a user's credits"
    )
    credits_refund: bool = Field(
        default=False, description="credits:refund: refund usages"
    )
    auth_validate: bool = Field(
        default=False, description="auth:validate: validate tokens and user keys"
    )
    rate_limit_requests: int = Field(
        default=0, ge=0, le=10_000_000, description="Requests per window; 0: none"
    )
    rate_limit_window_seconds: int = Field(default=60, ge=1, le=86_400)
    expires_in_days: int = Field(
        default=0, ge=0, le=3650, description="0: never expires"
    )


class RevokeApiKeyForm(BaseModel):
    key_id: uuid.UUID = Field(description="Id of the key (service or personal)")


def _operator(request: Request) -> str:
    return f"admin:{request.user.user.username}"


async def revoke_api_key(request: Request, data: RevokeApiKeyForm) -> str:
    try:
        row = await revoke_key(
            data.key_id, now=utc_now(), revoked_by=_operator(request)
        )
    except AppError as error:
        raise ValueError(error.message) from error
    return f"Revoked {row['kind']} key {row['prefix']}… ({row['name']})."


def api_key_forms(settings: Settings) -> list[FormConfig]:
    hasher = load_key_hasher(settings)

    async def create(request: Request, data: CreateServiceKeyForm) -> str:
        scopes = [
            scope.value
            for scope, wanted in (
                (Scope.credits_spend, data.credits_spend),
                (Scope.credits_refund, data.credits_refund),
                (Scope.auth_validate, data.auth_validate),
            )
            if wanted
        ]
        now = utc_now()
        try:
            created = await create_service_key(
                hasher,
                name=data.name,
                app_id=data.app_id.strip() or data.name,
                scopes=scopes,
                now=now,
                rate_limit_requests=data.rate_limit_requests or None,
                rate_limit_window_seconds=data.rate_limit_window_seconds,
                expires_at=(
                    now + timedelta(days=data.expires_in_days)
                    if data.expires_in_days
                    else None
                ),
                created_by=_operator(request),
            )
        except AppError as error:
            raise ValueError(error.message) from error
        row = created.row
        return (
            f"Service key {row['prefix']}… for {row['app_id']} "
            f"({', '.join(row['scopes'])}; id {row['id']}). Copy it now, it is "
            f"not shown again: {created.key.key}"
        )

    return [
        FormConfig(
            name="Create service key",
            pydantic_model=CreateServiceKeyForm,
            endpoint=create,
            description=(
                "A key for an app's backend, sent as `Authorization: Bearer`. "
                "It is shown once, in the answer to this form."
            ),
            form_group=GROUP,
        ),
        FormConfig(
            name="Revoke API key",
            pydantic_model=RevokeApiKeyForm,
            endpoint=revoke_api_key,
            description="Refused from the next request on, on every server.",
            form_group=GROUP,
        ),
    ]
