"""Starting a purchase: a `pending` purchase row, then a Stripe Checkout
Session in payment mode that names it.

The purchase row is committed before Stripe hears of the session, so any
webhook about the session finds it (by the purchase id in the session's
metadata, even before the session id is stored here). The Stripe call
happens outside any database transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credit_tables.tables import Package, Purchase, PurchaseStatus
from mana_core_auth.credits.payments.errors import (
    PackageNotFound,
    PaymentProviderUnavailable,
)
from mana_core_auth.credits.payments.redirects import checked_redirect
from mana_core_auth.credits.payments.stripe_client import (
    CheckoutGateway,
    checkout_gateway,
)
from mana_core_auth.settings import Settings

CURRENCY = "eur"


@dataclass(frozen=True)
class CheckoutStarted:
    purchase_id: uuid.UUID
    checkout_url: str
    session_id: str


def session_params(
    package: dict[str, Any],
    *,
    user_id: uuid.UUID,
    purchase_id: uuid.UUID,
    success_url: str,
    cancel_url: str,
) -> dict[str, Any]:
    """The Checkout Session for one package: its Stripe price if it has
    one, else its price in EUR cents."""
    if package["stripe_price_id"]:
        line_item: dict[str, Any] = {"price": package["stripe_price_id"]}
    else:
        line_item = {
            "price_data": {
                "currency": CURRENCY,
                "unit_amount": package["price_euro_cents"],
                "product_data": {"name": package["name"]},
            }
        }
    metadata = {
        "userId": str(user_id),
        "packageId": str(package["id"]),
        "purchaseId": str(purchase_id),
    }
    return {
        "mode": "payment",
        "line_items": [{**line_item, "quantity": 1}],
        "client_reference_id": str(user_id),
        "metadata": metadata,
        # Charges and disputes carry the payment intent, not the session.
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }


async def start_checkout(
    user_id: uuid.UUID,
    package_id: uuid.UUID,
    *,
    success_url: str | None,
    cancel_url: str | None,
    settings: Settings,
    now: datetime,
    gateway: CheckoutGateway | None = None,
) -> CheckoutStarted:
    """Record a pending purchase of the package and open its Checkout
    Session.

    :raises PaymentsNotConfigured: without a Stripe secret key.
    :raises RedirectNotAllowed: if a redirect URL is not a configured app's.
    :raises PackageNotFound: if the package is unknown or not on sale.
    :raises PaymentProviderUnavailable: if Stripe fails (the purchase is
        then marked `failed`).
    """
    gateway = gateway or checkout_gateway(settings)
    success = checked_redirect(success_url, settings)
    cancel = checked_redirect(cancel_url, settings)
    package = (
        await Package.select(
            Package.id,
            Package.name,
            Package.credits,
            Package.price_euro_cents,
            Package.stripe_price_id,
        )
        .where((Package.id == package_id) & Package.active.eq(True))
        .first()
    )
    if package is None:
        raise PackageNotFound()
    purchase = Purchase(
        user=user_id,
        package=package_id,
        credits=package["credits"],
        price_euro_cents=package["price_euro_cents"],
        status=PurchaseStatus.pending,
        created_at=now,
    )
    await Purchase.insert(purchase)
    params = session_params(
        package,
        user_id=user_id,
        purchase_id=purchase.id,
        success_url=success,
        cancel_url=cancel,
    )
    try:
        session = await gateway.create_checkout_session(
            params, idempotency_key=f"checkout-{purchase.id}"
        )
    except PaymentProviderUnavailable:
        await Purchase.update({Purchase.status: PurchaseStatus.failed}).where(
            (Purchase.id == purchase.id) & (Purchase.status == PurchaseStatus.pending)
        )
        raise
    # The webhook may have stored it already (it can arrive before this).
    await Purchase.update({Purchase.stripe_checkout_session_id: session.id}).where(
        (Purchase.id == purchase.id) & Purchase.stripe_checkout_session_id.is_null()
    )
    return CheckoutStarted(
        purchase_id=purchase.id, checkout_url=session.url, session_id=session.id
    )
