"""Deliveries racing each other, with real commits on separate pooled
connections: one event delivered 20 times at once, `completed` racing
`async_payment_succeeded`, a webhook arriving while checkout still waits
for Stripe's answer, a completion for a purchase row that does not exist,
and a refund racing the completion. Each grants the credits once."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter

import httpx
import pytest

from credit_tables.tables import Package, Purchase, StripeEvent
from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.credits.payments.fake_stripe import FakeStripe
from tests.mana_core_auth.credits.payments.support import (
    CHECKOUT,
    Sale,
    deliver,
    purchase_entries,
    purchase_row,
    start_sale,
)
from tests.mana_core_auth.credits.support import balance_row, create_user


async def test_20_identical_deliveries_at_once_grant_once(
    stripe_client: httpx.AsyncClient,
    package: Package,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user = await create_user(signup_bonus=0)
    sale = await start_sale(stripe_client, user, package)
    body = sale.completed()

    responses = await asyncio.gather(*(deliver(stripe_client, body) for _ in range(20)))

    statuses = Counter(response.status_code for response in responses)
    outcomes = Counter(r.json()["outcome"].split(":")[0] for r in responses)
    entries = await purchase_entries(sale.purchase_id)
    with capsys.disabled():
        print(
            f"\n20 concurrent deliveries of one checkout.session.completed: "
            f"{dict(statuses)}, outcomes {dict(outcomes)} -> {len(entries)} "
            "ledger row"
        )
    assert statuses == {200: 20}
    assert outcomes == {"completed": 1, "duplicate": 19}
    assert [(e["type"], e["amount"]) for e in entries] == [("purchase", 500)]
    assert (await balance_row(user.id))["balance"] == 500
    assert (
        await StripeEvent.count().where(StripeEvent.purchase == sale.purchase_id) == 1
    )
    assert (await verify_ledger(user.id)).findings == []


async def test_completed_racing_async_payment_succeeded_grants_once(
    stripe_client: httpx.AsyncClient,
    package: Package,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user = await create_user(signup_bonus=0)
    sale = await start_sale(stripe_client, user, package)
    bodies = [sale.completed() for _ in range(10)]
    bodies += [sale.session_event("async_payment_succeeded") for _ in range(10)]

    responses = await asyncio.gather(*(deliver(stripe_client, b) for b in bodies))

    assert {r.status_code for r in responses} == {200}
    outcomes = Counter(r.json()["outcome"].split(":")[0] for r in responses)
    entries = await purchase_entries(sale.purchase_id)
    with capsys.disabled():
        print(
            "\n10 completed + 10 async_payment_succeeded (20 event ids) at once: "
            f"outcomes {dict(outcomes)} -> {len(entries)} ledger row"
        )
    assert outcomes == {"completed": 1, "already completed": 19}
    assert len(entries) == 1
    assert (await balance_row(user.id))["balance"] == 500
    # Every event id is stored, each processed once.
    events = await StripeEvent.select().where(StripeEvent.purchase == sale.purchase_id)
    assert len(events) == 20 and all(e["processed_at"] for e in events)


async def test_a_webhook_before_checkout_stored_the_session_grants_once(
    stripe_client: httpx.AsyncClient,
    fake_stripe: FakeStripe,
    package: Package,
) -> None:
    """Stripe's answer to the checkout call is held back; meanwhile the
    payment completes and the webhook arrives."""
    user = await create_user(signup_bonus=0)
    fake_stripe.hold = threading.Event()
    checkout = asyncio.create_task(
        stripe_client.post(
            CHECKOUT, json={"packageId": str(package.id)}, headers=user.headers
        )
    )
    assert await asyncio.to_thread(fake_stripe.held.wait, 10)
    [sent] = [
        r
        for r in fake_stripe.sessions_created()
        if r.form["client_reference_id"] == str(user.id)
    ]
    assert sent.answer is not None
    purchase_id = sent.form["metadata[purchaseId]"]
    assert (await purchase_row(purchase_id))["stripe_checkout_session_id"] is None
    sale = Sale(
        user=user,
        purchase_id=purchase_id,
        session_id=sent.answer["id"],
        package_id=str(package.id),
        payment_intent=f"pi_{uuid.uuid4().hex[:16]}",
        credits=500,
        cents=500,
    )

    early = await deliver(stripe_client, sale.completed())
    fake_stripe.hold.set()
    answer = await checkout

    assert early.status_code == 200 and early.json()["outcome"].startswith("completed")
    assert answer.status_code == 201, answer.text
    assert answer.json()["sessionId"] == sale.session_id
    purchase = await purchase_row(purchase_id)
    assert purchase["status"] == "completed"
    assert purchase["stripe_checkout_session_id"] == sale.session_id
    assert len(await purchase_entries(purchase_id)) == 1
    assert (await balance_row(user.id))["balance"] == 500


async def test_a_completion_without_a_purchase_row_makes_it_once(
    stripe_client: httpx.AsyncClient, package: Package
) -> None:
    """A session of this account whose purchase row is not here (made
    elsewhere with the key, or lost): the row is made from the session's
    metadata, even with 10 events about it at once."""
    user = await create_user(signup_bonus=0)
    sale = Sale(
        user=user,
        purchase_id=str(uuid.uuid4()),
        session_id=f"cs_test_{uuid.uuid4().hex}",
        package_id=str(package.id),
        payment_intent=f"pi_{uuid.uuid4().hex[:16]}",
        credits=500,
        cents=450,  # what Stripe charged, e.g. with a coupon
    )
    bodies = [sale.completed() for _ in range(5)]
    bodies += [sale.session_event("async_payment_succeeded") for _ in range(5)]

    responses = await asyncio.gather(*(deliver(stripe_client, b) for b in bodies))

    assert {r.status_code for r in responses} == {200}
    [purchase] = await Purchase.select().where(Purchase.user == user.id)
    assert str(purchase["id"]) == sale.purchase_id
    assert purchase["status"] == "completed"
    assert (purchase["credits"], purchase["price_euro_cents"]) == (500, 450)
    assert len(await purchase_entries(sale.purchase_id)) == 1
    assert (await verify_ledger(user.id)).findings == []


async def test_a_refund_racing_the_completion_is_applied_once(
    stripe_client: httpx.AsyncClient, package: Package
) -> None:
    user = await create_user(signup_bonus=0)
    sale = await start_sale(stripe_client, user, package)
    refund = sale.refunded(500)
    bodies = [sale.completed(), refund, refund, sale.refunded(500), sale.completed()]
    bodies += [sale.refunded(200) for _ in range(3)]

    responses = await asyncio.gather(*(deliver(stripe_client, b) for b in bodies))

    assert {r.status_code for r in responses} == {200}
    entries = await purchase_entries(sale.purchase_id)
    assert sum(e["amount"] for e in entries) == 0
    assert entries[0]["type"] == "purchase"
    assert (await balance_row(user.id))["balance"] == 0
    assert (await purchase_row(sale.purchase_id))["refunded_credits"] == 500
    waiting = await StripeEvent.count().where(
        (StripeEvent.payment_intent_id == sale.payment_intent)
        & StripeEvent.processed_at.is_null()
    )
    assert waiting == 0
    assert (await verify_ledger(user.id)).findings == []
