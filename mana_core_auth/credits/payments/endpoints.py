"""HTTP routes: `POST /credits/checkout` (a user starts a purchase) and
`POST /webhooks/stripe` (Stripe reports what happened)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from mana_core_auth.auth.principal import Principal
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.credits.payments.checkout import start_checkout
from mana_core_auth.credits.payments.schemas import (
    CheckoutRequest,
    CheckoutResponse,
    WebhookResponse,
)
from mana_core_auth.credits.payments.webhooks import process_event, verified_event
from mana_core_auth.dependencies import AppSettings
from mana_core_auth.schemas import error_responses

checkout_router = APIRouter(prefix="/credits", tags=["credits"])
webhook_router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@checkout_router.post(
    "/checkout",
    status_code=201,
    response_model=CheckoutResponse,
    summary="Start buying a credit package with Stripe Checkout",
    responses=error_responses(
        (400, "Invalid request, or `REDIRECT_URL_NOT_ALLOWED`"),
        (404, "`PACKAGE_NOT_FOUND`: unknown or inactive package"),
        (502, "`PAYMENT_PROVIDER_UNAVAILABLE`: Stripe failed; try again"),
        (503, "`PAYMENTS_NOT_CONFIGURED`, or the database is unavailable"),
    ),
)
async def create_checkout(
    principal: Principal, body: CheckoutRequest, settings: AppSettings
) -> CheckoutResponse:
    """Records a pending purchase and answers with the Stripe Checkout URL
    to send the user to. The credits arrive when Stripe reports the
    payment (see `GET /credits/purchases`)."""
    started = await start_checkout(
        principal.user_id,
        body.package_id,
        success_url=body.success_url,
        cancel_url=body.cancel_url,
        settings=settings,
        now=utc_now(),
    )
    return CheckoutResponse.model_validate(started)


@webhook_router.post(
    "/stripe",
    response_model=WebhookResponse,
    summary="Stripe webhook events (signed with STRIPE_WEBHOOK_SECRET)",
    responses=error_responses(
        (400, "`INVALID_STRIPE_SIGNATURE` or `INVALID_STRIPE_EVENT`; nothing stored"),
        (503, "`PAYMENTS_NOT_CONFIGURED`, or the database is unavailable"),
    ),
)
async def stripe_webhook(
    request: Request,
    settings: AppSettings,
    stripe_signature: Annotated[str | None, Header(max_length=8192)] = None,
) -> WebhookResponse:
    """Each event is applied once however often it is delivered; event
    types this service does not act on are answered 200 and ignored."""
    event = verified_event(await request.body(), stripe_signature, settings)
    outcome = await process_event(event, settings=settings, now=utc_now())
    return WebhookResponse(outcome=outcome)
