"""The Stripe webhook: verify the signature over the raw body with the
library, then record and apply the event in one database transaction.

Each event id is recorded once (`stripe_events.event_id` is unique): a
redelivery, or 20 concurrent ones, finds it recorded and changes nothing.
Events about one session are serialised on its purchase row, so
`checkout.session.completed` and `async_payment_succeeded` grant once
between them. If the database fails, nothing is recorded and the answer is
503, so Stripe retries. Nothing here calls Stripe.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from credit_tables.tables import PurchaseStatus, StripeEvent
from mana_core_auth.credits.payments import fulfilment, reversals
from mana_core_auth.credits.payments.errors import (
    InvalidSignature,
    PaymentsNotConfigured,
)
from mana_core_auth.credits.payments.events import (
    EventContext,
    Handled,
    ReceivedEvent,
    defer_event,
    finish_event,
    record_event,
)
from mana_core_auth.settings import Settings

logger = logging.getLogger(__name__)

# Stripe's own default: a signed event older than this is refused (replay).
SIGNATURE_TOLERANCE_SECONDS = 300

Handler = Callable[[dict[str, Any], EventContext], Awaitable[Handled]]


async def checkout_session_completed(
    session: dict[str, Any], ctx: EventContext
) -> Handled:
    if session.get("payment_status") == "paid":
        return await fulfilment.complete_purchase(session, ctx)
    return await fulfilment.await_payment(session, ctx)


async def checkout_session_async_payment_succeeded(
    session: dict[str, Any], ctx: EventContext
) -> Handled:
    return await fulfilment.complete_purchase(session, ctx)


async def checkout_session_async_payment_failed(
    session: dict[str, Any], ctx: EventContext
) -> Handled:
    return await fulfilment.close_purchase(session, PurchaseStatus.failed, ctx)


async def checkout_session_expired(
    session: dict[str, Any], ctx: EventContext
) -> Handled:
    return await fulfilment.close_purchase(session, PurchaseStatus.expired, ctx)


async def charge_refunded(charge: dict[str, Any], ctx: EventContext) -> Handled:
    return await reversals.reverse(charge, ctx)


async def charge_dispute_created(dispute: dict[str, Any], ctx: EventContext) -> Handled:
    return await reversals.reverse(dispute, ctx)


async def charge_dispute_closed(dispute: dict[str, Any], ctx: EventContext) -> Handled:
    return await reversals.reverse(dispute, ctx)


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": checkout_session_completed,
    "checkout.session.async_payment_succeeded": (
        checkout_session_async_payment_succeeded
    ),
    "checkout.session.async_payment_failed": checkout_session_async_payment_failed,
    "checkout.session.expired": checkout_session_expired,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": charge_dispute_created,
    "charge.dispute.closed": charge_dispute_closed,
}
IGNORED = "ignored: not an event this service acts on"
DUPLICATE = "duplicate: this event was received before"


def verified_event(
    payload: bytes, signature: str | None, settings: Settings
) -> ReceivedEvent:
    """The event in `payload` if `signature` (the Stripe-Signature header)
    signs it with the webhook secret within the tolerance.

    :raises PaymentsNotConfigured: without `STRIPE_WEBHOOK_SECRET`.
    :raises InvalidSignature: for a missing, wrong or expired signature.
    :raises InvalidEvent: for a signed body that is not an event.
    """
    if settings.stripe_webhook_secret is None:
        raise PaymentsNotConfigured()
    import stripe  # at the first webhook, not at start (stripe_client.py says why)

    try:
        stripe.WebhookSignature.verify_header(
            payload,
            signature,
            settings.stripe_webhook_secret.get_secret_value(),
            SIGNATURE_TOLERANCE_SECONDS,
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise InvalidSignature() from error
    return ReceivedEvent.from_payload(payload)


async def process_event(
    event: ReceivedEvent, *, settings: Settings, now: datetime
) -> str:
    """Record and apply the event once; the outcome, for the answer and the log."""
    async with StripeEvent._meta.db.transaction():
        row_id = await record_event(event, now=now)
        if row_id is None:
            outcome = DUPLICATE
        else:
            handler = HANDLERS.get(event.type)
            ctx = EventContext(event=event, settings=settings, now=now)
            handled = (
                Handled(IGNORED)
                if handler is None
                else await handler(event.object, ctx)
            )
            outcome = handled.outcome
            if handled.waits:
                await defer_event(
                    row_id, event, outcome=outcome, purchase_id=handled.purchase_id
                )
            else:
                await finish_event(
                    row_id, outcome=outcome, purchase_id=handled.purchase_id, now=now
                )
    logger.info("stripe event %s (%s): %s", event.id, event.type, outcome)
    return outcome
