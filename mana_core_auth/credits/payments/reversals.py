"""Refunds and disputes taking purchased credits back, and a won dispute
giving them back.

Each event states where the payment stands (Stripe's cumulative amount
refunded, the dispute's amount and status), not a difference, so a
repeated, late or out-of-order event converges on the same result. From
those facts the purchase's target is min(credits, refunded + disputed);
the ledger moves the purchase's taken-back credits towards it. Only paid
credits are taken, never below zero: what the user already spent stays as
`credit_shortfall` on the purchase and is recorded as a `credit_shortfall`
security event, for an operator to settle.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from auth_tables.tables import SecurityEvent, SecurityEventType
from credit_tables.tables import Purchase, PurchaseStatus, TransactionType
from mana_core_auth.credits.ledger import NewEntry, append_entry, lock_balance
from mana_core_auth.credits.payments.events import (
    EventContext,
    Handled,
    payment_intent_of,
    stripe_id,
)
from mana_core_auth.credits.payments.purchase_locks import (
    lock_payment_intent,
    lock_purchase_by_payment_intent,
)

logger = logging.getLogger(__name__)

# Closed disputes: a later `created` event cannot reopen them.
CLOSED_DISPUTE = frozenset({"won", "lost", "warning_closed"})
# Closed in the seller's favour (or an inquiry that ended): nothing is held.
RELEASED_DISPUTE = frozenset({"won", "warning_closed"})

Apply = Callable[[dict[str, Any], dict[str, Any], EventContext], Awaitable[Handled]]


def credits_for(cents: Any, of_cents: Any, credits: int) -> int:
    """The credits `cents` of a payment of `of_cents` paid for, rounded
    down so that partial refunds add up to the whole."""
    if not isinstance(cents, int) or cents <= 0:
        return 0
    if not isinstance(of_cents, int) or of_cents <= 0:
        return credits
    return min(credits, credits * cents // of_cents)


def taken_back(purchase: dict[str, Any]) -> int:
    """What the ledger has taken back from this purchase so far."""
    target = min(
        purchase["credits"], purchase["refunded_credits"] + purchase["disputed_credits"]
    )
    return int(target - purchase["credit_shortfall"])


async def settle(
    purchase: dict[str, Any],
    ctx: EventContext,
    *,
    refunded: int,
    disputed: int,
    dispute_status: str | None,
    description: str,
) -> Handled:
    """Move the ledger to the purchase's new target and store the new facts
    on the (locked) purchase."""
    credits, user_id = purchase["credits"], purchase["user_id"]
    target = min(credits, refunded + disputed)
    taken = taken_back(purchase)
    moved = 0
    if target != taken:
        locked = await lock_balance(user_id)
        assert locked is not None, "a completed purchase has a balance"
        # Taking back: only the paid credits there are. Giving back: all.
        if target > taken:
            moved = min(target - taken, locked["balance"])
        else:
            moved = target - taken
        if moved:
            await append_entry(
                user_id,
                locked,
                NewEntry(
                    type=TransactionType.refund,
                    amount=-moved,
                    free_amount=0,
                    description=description,
                    metadata={
                        "purchaseId": str(purchase["id"]),
                        "stripeEventId": ctx.event.id,
                    },
                ),
                now=ctx.now,
            )
    shortfall = target - taken - moved
    await Purchase.update(
        {
            Purchase.refunded_credits: refunded,
            Purchase.disputed_credits: disputed,
            Purchase.credit_shortfall: shortfall,
            Purchase.dispute_status: dispute_status,
        }
    ).where(Purchase.id == purchase["id"])
    if shortfall > purchase["credit_shortfall"]:
        await _record_shortfall(purchase, ctx, shortfall=shortfall)
    if moved > 0:
        outcome = f"took back {moved} credits"
    elif moved < 0:
        outcome = f"gave back {-moved} credits"
    else:
        outcome = "no change of credits"
    if shortfall:
        outcome += f"; {shortfall} credits short (already spent)"
    return Handled(outcome, purchase_id=purchase["id"])


async def _record_shortfall(
    purchase: dict[str, Any], ctx: EventContext, *, shortfall: int
) -> None:
    logger.warning(
        "purchase %s: %s purchased credits could not be taken back (%s)",
        purchase["id"],
        shortfall,
        ctx.event.type,
    )
    await SecurityEvent.insert(
        SecurityEvent(
            user=purchase["user_id"],
            event_type=SecurityEventType.credit_shortfall,
            metadata={
                "purchaseId": str(purchase["id"]),
                "shortfall": shortfall,
                "stripeEvent": ctx.event.type,
                "stripeEventId": ctx.event.id,
            },
            created_at=ctx.now,
        )
    )


async def apply_refund(
    purchase: dict[str, Any], charge: dict[str, Any], ctx: EventContext
) -> Handled:
    charged = charge.get("amount") or purchase["price_euro_cents"]
    refunded_cents = charge.get("amount_refunded")
    if refunded_cents is None and charge.get("refunded") is True:
        refunded_cents = charged
    refunded = max(
        purchase["refunded_credits"],
        credits_for(refunded_cents, charged, purchase["credits"]),
    )
    return await settle(
        purchase,
        ctx,
        refunded=refunded,
        disputed=purchase["disputed_credits"],
        dispute_status=purchase["dispute_status"],
        description="Refund: purchased credits taken back",
    )


async def apply_dispute(
    purchase: dict[str, Any], dispute: dict[str, Any], ctx: EventContext
) -> Handled:
    """`created` and `closed` alike: the dispute's status says what holds."""
    status = dispute.get("status") if isinstance(dispute.get("status"), str) else None
    if purchase["dispute_status"] in CLOSED_DISPUTE and status not in CLOSED_DISPUTE:
        return Handled(
            f"dispute already {purchase['dispute_status']}; nothing changes",
            purchase_id=purchase["id"],
        )
    if status in RELEASED_DISPUTE:
        disputed, description = 0, f"Dispute {status}: purchased credits restored"
    else:
        disputed = credits_for(
            dispute.get("amount"), purchase["price_euro_cents"], purchase["credits"]
        )
        description = "Dispute: purchased credits held back"
    return await settle(
        purchase,
        ctx,
        refunded=purchase["refunded_credits"],
        disputed=disputed,
        dispute_status=status,
        description=description,
    )


# Applied now, or when the purchase completes if it has not yet.
APPLY: dict[str, Apply] = {
    "charge.refunded": apply_refund,
    "charge.dispute.created": apply_dispute,
    "charge.dispute.closed": apply_dispute,
}


async def reverse(thing: dict[str, Any], ctx: EventContext) -> Handled:
    """Apply a refund or dispute event to its completed purchase, or keep
    it waiting for the purchase to complete."""
    payment_intent = payment_intent_of(thing)
    if payment_intent is None:
        return Handled(f"ignored: {stripe_id(thing.get('id'))} has no payment intent")
    await lock_payment_intent(payment_intent)
    purchase = await lock_purchase_by_payment_intent(payment_intent)
    if purchase is None or purchase["status"] != PurchaseStatus.completed.value:
        return Handled(
            "waiting: no completed purchase for this payment yet",
            purchase_id=None if purchase is None else purchase["id"],
            waits=True,
        )
    return await APPLY[ctx.event.type](purchase, thing, ctx)
