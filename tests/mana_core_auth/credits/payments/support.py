"""Stripe events as Stripe sends them (signed with the webhook secret the
way Stripe signs), and helpers for purchases and their ledger rows."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from credit_tables.tables import Package, Purchase, StripeEvent
from mana_core_auth.sql import fetch
from tests.mana_core_auth.credits.support import CreditUser

CHECKOUT = "/api/v1/credits/checkout"
WEBHOOK = "/api/v1/webhooks/stripe"
PURCHASES = "/api/v1/credits/purchases"
SECRET_KEY = "sk_test_fake_" + "k" * 24
WEBHOOK_SECRET = "whsec_test_" + "w" * 32
PAYMENT_SETTINGS: dict[str, Any] = {
    "stripe_secret_key": SECRET_KEY,
    "stripe_webhook_secret": WEBHOOK_SECRET,
    "public_urls": {"chat": "https://chat.example/app"},
    "default_public_url": "https://mana.example",
}


def signature(payload: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """Stripe's scheme: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">`."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={mac}"


def event(kind: str, thing: dict[str, Any], event_id: str | None = None) -> str:
    """A Stripe event's JSON body, as Stripe would send it."""
    return json.dumps(
        {
            "id": event_id or f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
            "data": {"object": thing},
        }
    )


async def deliver(
    client: httpx.AsyncClient, body: str, *, sig: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = signature(body) if sig is None else sig
    return await client.post(WEBHOOK, content=body, headers=headers)


@dataclass
class Sale:
    """A purchase started through checkout, and what Stripe would say of it."""

    user: CreditUser
    purchase_id: str
    session_id: str
    package_id: str
    payment_intent: str
    credits: int
    cents: int

    def session(self, **changes: Any) -> dict[str, Any]:
        return {
            "id": self.session_id,
            "object": "checkout.session",
            "mode": "payment",
            "client_reference_id": str(self.user.id),
            "metadata": {
                "userId": str(self.user.id),
                "packageId": self.package_id,
                "purchaseId": self.purchase_id,
            },
            "payment_intent": self.payment_intent,
            "payment_status": "paid",
            "status": "complete",
            "amount_total": self.cents,
            "currency": "eur",
            "customer": "cus_test_1",
            **changes,
        }

    def completed(self, event_id: str | None = None, **changes: Any) -> str:
        return event("checkout.session.completed", self.session(**changes), event_id)

    def session_event(self, kind: str, **changes: Any) -> str:
        return event(f"checkout.session.{kind}", self.session(**changes))

    def charge(self, refunded_cents: int) -> dict[str, Any]:
        return {
            "id": f"ch_{self.payment_intent[3:]}",
            "object": "charge",
            "amount": self.cents,
            "amount_refunded": refunded_cents,
            "refunded": refunded_cents >= self.cents,
            "currency": "eur",
            "payment_intent": self.payment_intent,
        }

    def refunded(self, refunded_cents: int) -> str:
        return event("charge.refunded", self.charge(refunded_cents))

    def dispute(self, kind: str, status: str, cents: int | None = None) -> str:
        return event(
            f"charge.dispute.{kind}",
            {
                "id": f"dp_{self.payment_intent[3:]}",
                "object": "dispute",
                "amount": self.cents if cents is None else cents,
                "charge": f"ch_{self.payment_intent[3:]}",
                "payment_intent": self.payment_intent,
                "status": status,
                "reason": "fraudulent",
            },
        )


async def make_package(
    credits: int = 500,
    cents: int = 500,
    *,
    active: bool = True,
    stripe_price_id: str | None = None,
) -> Package:
    package = Package(
        name=f"Test {credits}",
        credits=credits,
        price_euro_cents=cents,
        active=active,
        stripe_price_id=stripe_price_id,
        sort_order=900,
    )
    await Package.insert(package)
    return package


async def start_sale(
    client: httpx.AsyncClient, user: CreditUser, package: Package
) -> Sale:
    response = await client.post(
        CHECKOUT, json={"packageId": str(package.id)}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Sale(
        user=user,
        purchase_id=body["purchaseId"],
        session_id=body["sessionId"],
        package_id=str(package.id),
        payment_intent=f"pi_{secrets.token_hex(12)}",
        credits=package.credits,
        cents=package.price_euro_cents,
    )


async def purchase_row(purchase_id: str | uuid.UUID) -> dict[str, Any]:
    row = await Purchase.select().where(Purchase.id == purchase_id).first()
    assert row is not None
    return row


async def purchase_entries(purchase_id: str | uuid.UUID) -> list[dict[str, Any]]:
    """The ledger rows naming the purchase, oldest first."""
    rows = await fetch(
        "SELECT * FROM credits.transactions WHERE metadata->>'purchaseId' = $1 "
        "ORDER BY balance_version",
        str(purchase_id),
    )
    return [dict(row) for row in rows]


async def events_of(purchase_id: str | uuid.UUID) -> list[dict[str, Any]]:
    return await StripeEvent.select().where(StripeEvent.purchase == purchase_id)


def step_body(sale: Sale, step: str) -> str:
    """The event a step of an ordering names: `completed` (or `completed-2`,
    another event id), `unpaid` (completed, payment not cleared yet),
    `async_succeeded`, `async_failed`, `expired`, `refund:<cumulative
    cents>`, `dispute_created[:<cents>]`, `dispute_won`, `dispute_lost`."""
    kind, _, arg = step.partition(":")
    kind = kind.split("-")[0]
    if kind == "completed":
        return sale.completed()
    if kind == "unpaid":
        return sale.completed(payment_status="unpaid")
    if kind in ("async_succeeded", "async_failed"):
        name = kind.replace("async_", "async_payment_")
        return sale.session_event(name)
    if kind == "expired":
        return sale.session_event(
            "expired", status="expired", payment_status="unpaid", payment_intent=None
        )
    if kind == "refund":
        return sale.refunded(int(arg))
    if kind == "dispute_created":
        return sale.dispute("created", "needs_response", int(arg) if arg else None)
    if kind in ("dispute_won", "dispute_lost"):
        return sale.dispute("closed", kind.removeprefix("dispute_"))
    raise ValueError(step)
