"""Operator forms beside the credit forms: resetting a user's two-factor
authentication, and the `admin_write` event every form submission records."""

from __future__ import annotations

import inspect
import uuid
from typing import Any

from piccolo.engine import engine_finder
from piccolo_admin.endpoints import FormConfig
from pydantic import BaseModel, Field
from starlette.requests import Request

from auth_tables.tables import SecurityEventType, TwoFactorAuth, User
from mana_core_auth.studio.audit import (
    admin_username,
    record_admin_event,
    record_admin_write,
)

ACCOUNTS = "Accounts"


def audited(form: FormConfig) -> FormConfig:
    """The same form, recording an `admin_write` event (form name and the
    submitted fields, none of which is a secret) after each success."""
    endpoint = form.endpoint

    async def run(request: Request, data: Any) -> Any:
        result = endpoint(request, data)
        if inspect.isawaitable(result):
            result = await result
        await record_admin_write(
            request, action="form", form=form.name, fields=data.model_dump(mode="json")
        )
        return result

    form.endpoint = run
    return form


class ResetTwoFactorForm(BaseModel):
    email: str = Field(title="Email", description="The user's email")
    reason: str = Field(
        title="Reason",
        min_length=1,
        max_length=1000,
        description="Why, e.g. the support ticket; kept in the security events",
    )


async def reset_user_two_factor(
    user_id: uuid.UUID, *, admin: str, reason: str, request: Request
) -> bool:
    """Delete the user's TOTP enrolment and record a `two_factor_reset`
    event, together. Returns false if the user had none."""
    engine = engine_finder()
    assert engine is not None
    async with engine.transaction():
        deleted = (
            await TwoFactorAuth.delete()
            .where(TwoFactorAuth.user == user_id)
            .returning(TwoFactorAuth.user)
        )
        if not deleted:
            return False
        await record_admin_event(
            SecurityEventType.two_factor_reset,
            admin=admin,
            request=request,
            user_id=user_id,
            reason=reason,
        )
    return True


async def reset_two_factor(request: Request, data: ResetTwoFactorForm) -> str:
    email = data.email.strip().lower()
    user = await User.select(User.id).where(User.email == email).first()
    if user is None:
        raise ValueError(f"No user with the email {email}")
    reason = data.reason.strip()
    if not reason:
        raise ValueError("Give a reason")
    if not await reset_user_two_factor(
        user["id"], admin=admin_username(request), reason=reason, request=request
    ):
        raise ValueError(f"{email} does not use two-factor authentication")
    return (
        f"Two-factor authentication of {email} is reset: they log in with "
        "their password alone and may enrol again."
    )


def reset_two_factor_form() -> FormConfig:
    return FormConfig(
        name="Reset two-factor",
        pydantic_model=ResetTwoFactorForm,
        endpoint=reset_two_factor,
        description=(
            "Remove a user's authenticator (lost phone, no backup codes left), "
            "with a reason kept in the security events."
        ),
        form_group=ACCOUNTS,
    )
