"""Finding and locking the purchase an event is about.

Every handler that touches a purchase with a payment intent first takes a
transaction-scoped advisory lock on that payment intent, then the purchase
row, then (through the ledger writer) the balance row: one order for all,
so they never deadlock, and a refund that finds no completed purchase yet
cannot miss the completion that commits meanwhile (the completion holds
the same advisory lock until it has applied waiting events).
"""

from __future__ import annotations

import uuid
from typing import Any

from credit_tables.tables import Purchase
from mana_core_auth.sql import fetch

_LOCK_PAYMENT_INTENT = """
SELECT pg_advisory_xact_lock(hashtextextended('stripe-payment-intent:' || $1, 0))
"""


async def lock_payment_intent(payment_intent_id: str) -> None:
    """Held until the open transaction ends."""
    await fetch(_LOCK_PAYMENT_INTENT, payment_intent_id)


async def lock_purchase_by_id(purchase_id: uuid.UUID) -> dict[str, Any] | None:
    return await Purchase.select().where(Purchase.id == purchase_id).lock_rows().first()


async def lock_purchase_by_session(session_id: str) -> dict[str, Any] | None:
    return (
        await Purchase.select()
        .where(Purchase.stripe_checkout_session_id == session_id)
        .lock_rows()
        .first()
    )


async def lock_purchase_by_payment_intent(
    payment_intent_id: str,
) -> dict[str, Any] | None:
    return (
        await Purchase.select()
        .where(Purchase.stripe_payment_intent_id == payment_intent_id)
        .lock_rows()
        .first()
    )


def parse_uuid(value: Any) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
