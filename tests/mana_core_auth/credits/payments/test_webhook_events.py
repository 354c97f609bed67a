"""What each Stripe event does to a purchase, the buyer's balance and the
ledger, as the buyer sees it through the API."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest

from auth_tables.tables import SecurityEvent
from credit_tables.tables import Package, Purchase, StripeEvent
from mana_core_auth.credits.payments import fulfilment, webhooks
from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.credits.payments.support import (
    PURCHASES,
    Sale,
    deliver,
    event,
    events_of,
    purchase_entries,
    purchase_row,
    start_sale,
)
from tests.mana_core_auth.credits.support import (
    USE,
    CreditUser,
    balance_row,
    create_user,
)


async def spend(client: httpx.AsyncClient, user: CreditUser, amount: int) -> None:
    response = await client.post(
        USE,
        json={"amount": amount, "appId": "chat", "description": "spent"},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text


async def test_a_paid_session_completes_the_purchase_with_one_ledger_row(
    stripe_client: httpx.AsyncClient, user: CreditUser, package: Package
) -> None:
    sale = await start_sale(stripe_client, user, package)

    response = await deliver(stripe_client, sale.completed())

    assert response.status_code == 200, response.text
    assert response.json() == {
        "received": True,
        "outcome": "completed: 500 credits granted",
    }
    balance = (
        await stripe_client.get("/api/v1/credits/balance", headers=user.headers)
    ).json()
    assert balance["balance"] == 500  # paid credits
    assert balance["freeCreditsRemaining"] == 150  # the signup bonus, untouched
    assert balance["totalEarned"] == 650
    [entry] = await purchase_entries(sale.purchase_id)
    assert (entry["type"], entry["amount"], entry["free_amount"]) == (
        "purchase",
        500,
        0,
    )
    purchase = await purchase_row(sale.purchase_id)
    assert purchase["stripe_payment_intent_id"] == sale.payment_intent
    assert purchase["stripe_customer_id"] == "cus_test_1"
    [listed] = (await stripe_client.get(PURCHASES, headers=user.headers)).json()
    assert listed["status"] == "completed" and listed["completedAt"]
    ledger = (
        await stripe_client.get(
            "/api/v1/credits/transactions?type=purchase", headers=user.headers
        )
    ).json()
    assert [(t["amount"], t["metadata"]["purchaseId"]) for t in ledger] == [
        (500, sale.purchase_id)
    ]
    [recorded] = await events_of(sale.purchase_id)
    assert recorded["type"] == "checkout.session.completed"
    assert recorded["outcome"] == "completed: 500 credits granted"
    assert recorded["payload"] is None
    assert (await verify_ledger(user.id)).findings == []


async def test_an_expired_session_grants_nothing(
    stripe_client: httpx.AsyncClient, user: CreditUser, package: Package
) -> None:
    sale = await start_sale(stripe_client, user, package)
    before = await balance_row(user.id)

    response = await deliver(
        stripe_client,
        sale.session_event("expired", status="expired", payment_status="unpaid"),
    )

    assert response.status_code == 200
    assert (await purchase_row(sale.purchase_id))["status"] == "expired"
    assert await balance_row(user.id) == before
    [listed] = (await stripe_client.get(PURCHASES, headers=user.headers)).json()
    assert listed["status"] == "expired"


async def test_a_refund_after_spending_takes_what_is_there_and_records_the_shortfall(
    stripe_client: httpx.AsyncClient, package: Package
) -> None:
    user = await create_user(signup_bonus=100)
    sale = await start_sale(stripe_client, user, package)
    await deliver(stripe_client, sale.completed())
    await spend(stripe_client, user, 100 + 350)  # the free 100 first, then 350 paid

    response = await deliver(stripe_client, sale.refunded(500))

    assert response.status_code == 200
    assert "took back 150 credits; 350 credits short" in response.json()["outcome"]
    balance = await balance_row(user.id)
    assert (balance["balance"], balance["free_credits_remaining"]) == (0, 0)
    purchase = await purchase_row(sale.purchase_id)
    assert (purchase["refunded_credits"], purchase["credit_shortfall"]) == (500, 350)
    [_, refund] = await purchase_entries(sale.purchase_id)
    assert (refund["type"], refund["amount"]) == ("refund", -150)
    [shortfall] = (
        await SecurityEvent.select()
        .where(
            (SecurityEvent.user == user.id)
            & (SecurityEvent.event_type == "credit_shortfall")
        )
        .output(load_json=True)
    )
    assert shortfall["metadata"]["purchaseId"] == sale.purchase_id
    assert shortfall["metadata"]["shortfall"] == 350
    assert (await verify_ledger(user.id)).findings == []


async def test_a_won_dispute_after_a_shortfall_gives_back_what_was_taken(
    stripe_client: httpx.AsyncClient, package: Package
) -> None:
    user = await create_user(signup_bonus=0)
    sale = await start_sale(stripe_client, user, package)
    await deliver(stripe_client, sale.completed())
    await spend(stripe_client, user, 400)

    await deliver(stripe_client, sale.dispute("created", "needs_response"))
    held = await purchase_row(sale.purchase_id)
    await deliver(stripe_client, sale.dispute("closed", "won"))

    assert (held["disputed_credits"], held["credit_shortfall"]) == (500, 400)
    purchase = await purchase_row(sale.purchase_id)
    assert (purchase["disputed_credits"], purchase["credit_shortfall"]) == (0, 0)
    assert purchase["dispute_status"] == "won"
    assert (await balance_row(user.id))["balance"] == 100
    amounts = [
        (e["type"], e["amount"]) for e in await purchase_entries(sale.purchase_id)
    ]
    assert amounts == [("purchase", 500), ("refund", -100), ("refund", 100)]
    assert (await verify_ledger(user.id)).findings == []


async def test_a_session_of_another_user_grants_nothing(
    stripe_client: httpx.AsyncClient, user: CreditUser, package: Package
) -> None:
    sale = await start_sale(stripe_client, user, package)
    other = await create_user()

    response = await deliver(
        stripe_client, sale.completed(client_reference_id=str(other.id))
    )

    assert response.status_code == 200
    assert response.json()["outcome"].startswith("ignored")
    assert (await purchase_row(sale.purchase_id))["status"] == "pending"
    assert await purchase_entries(sale.purchase_id) == []


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"userId": "nope"},
        {"userId": str(uuid.uuid4()), "packageId": str(uuid.uuid4())},
    ],
    ids=["none", "malformed", "unknown user and package"],
)
async def test_a_session_naming_no_purchase_of_ours_is_recorded_and_ignored(
    stripe_client: httpx.AsyncClient, metadata: dict[str, str]
) -> None:
    session = {
        "id": f"cs_test_{uuid.uuid4().hex}",
        "object": "checkout.session",
        "payment_status": "paid",
        "payment_intent": f"pi_{uuid.uuid4().hex}",
        "metadata": metadata,
    }
    body = event("checkout.session.completed", session)

    response = await deliver(stripe_client, body)

    assert response.status_code == 200
    assert response.json()["outcome"].startswith("ignored")
    assert not await Purchase.exists().where(
        Purchase.stripe_checkout_session_id == session["id"]
    )
    assert await StripeEvent.exists().where(StripeEvent.object_id == session["id"])


async def test_a_refund_for_a_payment_of_no_purchase_waits(
    stripe_client: httpx.AsyncClient, user: CreditUser, package: Package
) -> None:
    sale = Sale(
        user=user,
        purchase_id=str(uuid.uuid4()),
        session_id=f"cs_test_{uuid.uuid4().hex}",
        package_id=str(package.id),
        payment_intent=f"pi_unknown_{uuid.uuid4().hex}",
        credits=500,
        cents=500,
    )

    response = await deliver(stripe_client, sale.refunded(500))

    assert response.status_code == 200
    assert response.json()["outcome"].startswith("waiting")
    [row] = (
        await StripeEvent.select()
        .where(StripeEvent.payment_intent_id == sale.payment_intent)
        .output(load_json=True)
    )
    assert row["processed_at"] is None
    assert row["payload"]["amount_refunded"] == 500


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle"),
        asyncpg.exceptions.CannotConnectNowError("shutting down"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
    ids=repr,
)
async def test_a_database_failure_is_503_and_the_retry_grants_once(
    stripe_client: httpx.AsyncClient,
    user: CreditUser,
    package: Package,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    sale = await start_sale(stripe_client, user, package)
    body = sale.completed()

    async def broken(*args: object, **kwargs: object) -> None:
        raise error

    with monkeypatch.context() as patch:
        patch.setattr(webhooks, "record_event", broken)
        down = await deliver(stripe_client, body)
    with monkeypatch.context() as patch:
        # The event is recorded, then the grant fails: all is rolled back.
        patch.setattr(fulfilment, "append_entry", broken)
        midway = await deliver(stripe_client, body)
    retried = await deliver(stripe_client, body)

    for response in (down, midway):
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "DATABASE_UNAVAILABLE"
        assert "asyncpg" not in response.text
    assert retried.status_code == 200
    assert retried.json()["outcome"].startswith("completed")
    assert len(await purchase_entries(sale.purchase_id)) == 1
    assert len(await events_of(sale.purchase_id)) == 1
