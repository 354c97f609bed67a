"""Piccolo Admin forms for operators: grant or take away credits, refund a
usage. Each writes ledger rows through the same services as the API, with
the operator's admin username in the row's metadata."""

from __future__ import annotations

import uuid
from enum import Enum

from piccolo_admin.endpoints import FormConfig
from pydantic import BaseModel, Field
from starlette.requests import Request

from mana_core_auth.credits.grants import grant_by_email
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.credits.refunds import refund
from mana_core_auth.errors import AppError
from mana_core_auth.settings import Settings

GROUP = "Credits"


class CreditKind(str, Enum):
    paid = "paid"
    free = "free"


class GrantCreditsForm(BaseModel):
    email: str = Field(title="Email", description="The user's email")
    amount: int = Field(
        title="Amount",
        description="Credits to add; negative takes paid credits away",
        ge=-1_000_000,
        le=1_000_000,
    )
    # A yes/no field: piccolo_admin's forms render booleans as a dropdown, an
    # enum only as a free-text box.
    free_credits: bool = Field(
        default=False,
        title="Free credits (a bonus row; otherwise paid credits, an adjustment row)",
    )
    reason: str = Field(
        title="Reason", min_length=1, max_length=1000, description="Shown in the ledger"
    )

    @property
    def credits(self) -> CreditKind:
        return CreditKind.free if self.free_credits else CreditKind.paid


class RefundUsageForm(BaseModel):
    transaction_id: uuid.UUID = Field(
        title="Transaction id", description="Id of the usage transaction"
    )
    reason: str = Field(
        title="Reason", min_length=1, max_length=1000, description="Shown in the ledger"
    )


def _operator(request: Request) -> str:
    return f"admin:{request.user.user.username}"


async def refund_usage(request: Request, data: RefundUsageForm) -> str:
    try:
        change = await refund(
            data.transaction_id,
            reason=data.reason,
            refunded_by=_operator(request),
            now=utc_now(),
        )
    except AppError as error:
        raise ValueError(error.message) from error
    return (
        f"Refunded {change.transaction.amount} credits "
        f"(ledger row {change.transaction.id})"
    )


def credit_forms(settings: Settings) -> list[FormConfig]:
    """The forms, writing with the settings of the app they are mounted in."""

    async def grant_credits(request: Request, data: GrantCreditsForm) -> str:
        try:
            change = await grant_by_email(
                data.email,
                data.amount,
                reason=data.reason,
                free=data.credits is CreditKind.free,
                granted_by=_operator(request),
                now=utc_now(),
                settings=settings,
            )
        except AppError as error:
            raise ValueError(error.message) from error
        new = change.new_balance
        return (
            f"{data.amount:+} credits for {data.email}: now paid {new.balance}, "
            f"free {new.free_credits_remaining} (ledger row {change.transaction.id})"
        )

    return [
        FormConfig(
            name="Grant credits",
            pydantic_model=GrantCreditsForm,
            endpoint=grant_credits,
            description=(
                "Add credits to a user, or take paid credits away, with a "
                "reason recorded in the ledger."
            ),
            form_group=GROUP,
        ),
        FormConfig(
            name="Refund usage",
            pydantic_model=RefundUsageForm,
            endpoint=refund_usage,
            description="Give back the credits of one usage transaction, once.",
            form_group=GROUP,
        ),
    ]
