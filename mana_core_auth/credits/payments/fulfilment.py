"""What Checkout Session events do to a purchase: completing it (credits
granted once, as one `purchase` ledger row naming it), or closing it as
`expired` or `failed`.

A session is matched to its purchase by the session id, else by the
purchase id in its metadata (a webhook can arrive before checkout stored
the session id). If there is no such purchase, as for a session made
elsewhere with this account's key or a purchase row that is gone, one is
made from the session's metadata when it names an existing user and
package; a session that names none is recorded and ignored, never retried.
"""

from __future__ import annotations

import uuid
from typing import Any

from auth_tables.tables import User
from credit_tables.tables import Package, Purchase, PurchaseStatus, TransactionType
from mana_core_auth.credits.balances import open_balance
from mana_core_auth.credits.ledger import NewEntry, append_entry, lock_balance
from mana_core_auth.credits.payments.events import (
    EventContext,
    Handled,
    finish_event,
    stripe_id,
    waiting_events,
)
from mana_core_auth.credits.payments.purchase_locks import (
    lock_payment_intent,
    lock_purchase_by_id,
    lock_purchase_by_session,
    parse_uuid,
)
from mana_core_auth.credits.payments.reversals import APPLY
from mana_core_auth.sql import fetch

NOT_OURS = "ignored: no purchase of this service names this session"
MISMATCH = "ignored: the session does not match the purchase it names"

_CREATE_FROM_METADATA = """
INSERT INTO credits.purchases
    (id, user_id, package_id, credits, price_euro_cents, status,
     stripe_checkout_session_id, metadata, created_at)
VALUES ($1, $2, $3, $4, $5, 'pending', $6, '{"createdBy": "webhook"}', $7)
ON CONFLICT DO NOTHING
"""


def _metadata(session: dict[str, Any]) -> dict[str, Any]:
    metadata = session.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


async def _create_from_metadata(
    session_id: str, session: dict[str, Any], ctx: EventContext
) -> bool:
    metadata = _metadata(session)
    user_id = parse_uuid(metadata.get("userId"))
    package_id = parse_uuid(metadata.get("packageId"))
    if user_id is None or package_id is None:
        return False
    if session.get("client_reference_id") not in (None, str(user_id)):
        return False
    package = (
        await Package.select(Package.credits, Package.price_euro_cents)
        .where(Package.id == package_id)
        .first()
    )
    if package is None or not await User.exists().where(User.id == user_id):
        return False
    paid = session.get("amount_total")
    await fetch(
        _CREATE_FROM_METADATA,
        parse_uuid(metadata.get("purchaseId")) or uuid.uuid4(),
        user_id,
        package_id,
        package["credits"],
        paid if isinstance(paid, int) and paid >= 0 else package["price_euro_cents"],
        session_id,
        ctx.now,
    )
    return True


async def _purchase_of(
    session: dict[str, Any], ctx: EventContext, *, create: bool
) -> dict[str, Any] | None:
    """The session's purchase, locked; made from the metadata if `create`."""
    session_id = stripe_id(session.get("id"))
    if session_id is None:
        return None
    purchase = await lock_purchase_by_session(session_id)
    purchase_id = parse_uuid(_metadata(session).get("purchaseId"))
    if purchase is None and purchase_id is not None:
        purchase = await lock_purchase_by_id(purchase_id)
    # A concurrent event for the same session makes it first, or waits.
    if (
        purchase is None
        and create
        and await _create_from_metadata(session_id, session, ctx)
    ):
        purchase = await lock_purchase_by_session(session_id)
        if purchase is None and purchase_id is not None:
            purchase = await lock_purchase_by_id(purchase_id)
    return purchase


def _matches(purchase: dict[str, Any], session: dict[str, Any]) -> bool:
    user = str(purchase["user_id"])
    stored = purchase["stripe_checkout_session_id"]
    return (
        stored in (None, session.get("id"))
        and session.get("client_reference_id") in (None, user)
        and _metadata(session).get("userId") in (None, user)
    )


async def complete_purchase(session: dict[str, Any], ctx: EventContext) -> Handled:
    """Complete the session's purchase once: its credits as paid credits
    with one `purchase` ledger row, then any refund or dispute that
    arrived before."""
    payment_intent = stripe_id(session.get("payment_intent"))
    if payment_intent is not None:
        await lock_payment_intent(payment_intent)
    purchase = await _purchase_of(session, ctx, create=True)
    if purchase is None:
        return Handled(NOT_OURS)
    if not _matches(purchase, session):
        return Handled(MISMATCH, purchase_id=purchase["id"])
    if purchase["status"] == PurchaseStatus.completed.value:
        return Handled("already completed", purchase_id=purchase["id"])
    await _grant(purchase, session, ctx)
    paid = session.get("amount_total")
    payment_intent = payment_intent or purchase["stripe_payment_intent_id"]
    await Purchase.update(
        {
            Purchase.status: PurchaseStatus.completed,
            Purchase.completed_at: ctx.now,
            Purchase.stripe_checkout_session_id: session["id"],
            Purchase.stripe_payment_intent_id: payment_intent,
            Purchase.stripe_customer_id: stripe_id(session.get("customer"))
            or purchase["stripe_customer_id"],
            Purchase.price_euro_cents: (
                paid
                if isinstance(paid, int) and paid >= 0
                else purchase["price_euro_cents"]
            ),
        }
    ).where(Purchase.id == purchase["id"])
    outcome = f"completed: {purchase['credits']} credits granted"
    if payment_intent is not None:
        applied = await _apply_waiting(purchase["id"], payment_intent, ctx)
        if applied:
            outcome += f"; applied {applied} earlier refund or dispute events"
    return Handled(outcome, purchase_id=purchase["id"])


async def _grant(
    purchase: dict[str, Any], session: dict[str, Any], ctx: EventContext
) -> None:
    user_id = purchase["user_id"]
    locked = await lock_balance(user_id)
    if locked is None:
        # A user made without a balance (by an operator): open it now.
        await open_balance(user_id, ctx.settings, now=ctx.now)
        locked = await lock_balance(user_id)
        assert locked is not None
    await append_entry(
        user_id,
        locked,
        NewEntry(
            type=TransactionType.purchase,
            amount=purchase["credits"],
            free_amount=0,
            description=f"Purchase of {purchase['credits']} credits",
            metadata={
                "purchaseId": str(purchase["id"]),
                "stripeCheckoutSessionId": session["id"],
            },
        ),
        now=ctx.now,
    )


async def _apply_waiting(
    purchase_id: uuid.UUID, payment_intent: str, ctx: EventContext
) -> int:
    """Apply the refund and dispute events that came before the purchase
    completed, oldest first, each once."""
    waiting = await waiting_events(payment_intent)
    for row_id, event in waiting:
        purchase = await lock_purchase_by_id(purchase_id)
        assert purchase is not None
        event_ctx = EventContext(event=event, settings=ctx.settings, now=ctx.now)
        handled = await APPLY[event.type](purchase, event.object, event_ctx)
        await finish_event(
            row_id,
            outcome=handled.outcome + " (after the purchase completed)",
            purchase_id=purchase_id,
            now=ctx.now,
        )
    return len(waiting)


async def await_payment(session: dict[str, Any], ctx: EventContext) -> Handled:
    """A completed session whose payment has not cleared (e.g. SEPA debit):
    remember the session and payment intent; the purchase stays pending
    until `async_payment_succeeded`."""
    payment_intent = stripe_id(session.get("payment_intent"))
    if payment_intent is not None:
        await lock_payment_intent(payment_intent)
    purchase = await _purchase_of(session, ctx, create=True)
    if purchase is None:
        return Handled(NOT_OURS)
    if not _matches(purchase, session):
        return Handled(MISMATCH, purchase_id=purchase["id"])
    if purchase["status"] != PurchaseStatus.pending.value:
        return Handled(f"already {purchase['status']}", purchase_id=purchase["id"])
    await Purchase.update(
        {
            Purchase.stripe_checkout_session_id: session["id"],
            Purchase.stripe_payment_intent_id: payment_intent
            or purchase["stripe_payment_intent_id"],
        }
    ).where(Purchase.id == purchase["id"])
    return Handled("waiting for the payment to clear", purchase_id=purchase["id"])


async def close_purchase(
    session: dict[str, Any], status: PurchaseStatus, ctx: EventContext
) -> Handled:
    """A pending purchase becomes `expired` or `failed`; no credits. A
    completed one stays completed (events can arrive out of order)."""
    purchase = await _purchase_of(session, ctx, create=False)
    if purchase is None:
        return Handled(NOT_OURS)
    if not _matches(purchase, session):
        return Handled(MISMATCH, purchase_id=purchase["id"])
    if purchase["status"] != PurchaseStatus.pending.value:
        return Handled(
            f"already {purchase['status']}; stays so", purchase_id=purchase["id"]
        )
    await Purchase.update(
        {Purchase.status: status, Purchase.stripe_checkout_session_id: session["id"]}
    ).where(Purchase.id == purchase["id"])
    return Handled(f"purchase {status.value}", purchase_id=purchase["id"])
