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
from mana_core_auth.auth.email_links.mail_jobs import run_mail_job
from mana_core_auth.auth.sessions import revoke_user_sessions
from mana_core_auth.auth.two_factor.notices import (
    TwoFactorChange,
    mail_two_factor_notice,
)
from mana_core_auth.email.mailer import build_mailer
from mana_core_auth.settings import Settings
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
    """Delete the user's TOTP enrolment, end their sessions (whoever enrolled
    a foreign authenticator may hold one) and record a `two_factor_reset`
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
        ended = await revoke_user_sessions(user_id)
        await record_admin_event(
            SecurityEventType.two_factor_reset,
            admin=admin,
            request=request,
            user_id=user_id,
            reason=reason,
            revoked_sessions=ended,
        )
    return True


def reset_two_factor_form(settings: Settings) -> FormConfig:
    """The form, mailing its notices with the settings of the app it is
    mounted in."""
    mailer = build_mailer(settings)

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
        # The owner hears of it, as of every other two-factor change.
        await run_mail_job(
            mail_two_factor_notice,
            user_id=user["id"],
            change=TwoFactorChange.reset,
            mailer=mailer,
        )
        return (
            f"Two-factor authentication of {email} is reset: they log in with "
            "their password alone and may enrol again."
        )

    return FormConfig(
        name="Reset two-factor",
        pydantic_model=ResetTwoFactorForm,
        endpoint=reset_two_factor,
        description=(
            "Remove a user's authenticator (lost phone, no backup codes left), "
            "with a reason kept in the security events; the user is mailed."
        ),
        form_group=ACCOUNTS,
    )
