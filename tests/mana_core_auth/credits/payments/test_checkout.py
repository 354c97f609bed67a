"""`POST /credits/checkout`: a pending purchase and a Stripe Checkout
Session in payment mode that names it, created through the fake Stripe
API; who may call it and what it refuses."""

from __future__ import annotations

import uuid

import httpx
import pytest

from credit_tables.tables import Package, Purchase
from tests.mana_core_auth.credits.payments.fake_stripe import (
    FakeStripe,
    free_port_in_range,
)
from tests.mana_core_auth.credits.payments.support import (
    CHECKOUT,
    PAYMENT_SETTINGS,
    PURCHASES,
    SECRET_KEY,
    make_package,
    purchase_row,
)
from tests.mana_core_auth.credits.support import CreditUser, create_user


async def test_checkout_creates_a_payment_session_naming_the_purchase(
    stripe_client: httpx.AsyncClient,
    fake_stripe: FakeStripe,
    user: CreditUser,
    package: Package,
) -> None:
    response = await stripe_client.post(
        CHECKOUT,
        json={
            "packageId": str(package.id),
            "successUrl": "https://chat.example/credits/done?s={CHECKOUT_SESSION_ID}",
            "cancelUrl": "https://chat.example/credits",
        },
        headers=user.headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"purchaseId", "checkoutUrl", "sessionId"}
    sent = fake_stripe.for_purchase(body["purchaseId"])
    assert sent.answer is not None and sent.answer["id"] == body["sessionId"]
    assert body["checkoutUrl"] == sent.answer["url"]
    assert sent.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert sent.headers["idempotency-key"] == f"checkout-{body['purchaseId']}"
    assert sent.form == {
        "mode": "payment",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "500",
        "line_items[0][price_data][product_data][name]": package.name,
        "line_items[0][quantity]": "1",
        "client_reference_id": str(user.id),
        "metadata[userId]": str(user.id),
        "metadata[packageId]": str(package.id),
        "metadata[purchaseId]": body["purchaseId"],
        "payment_intent_data[metadata][userId]": str(user.id),
        "payment_intent_data[metadata][packageId]": str(package.id),
        "payment_intent_data[metadata][purchaseId]": body["purchaseId"],
        "success_url": "https://chat.example/credits/done?s={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://chat.example/credits",
    }
    purchase = await purchase_row(body["purchaseId"])
    assert purchase["status"] == "pending"
    assert purchase["user_id"] == user.id
    assert (purchase["credits"], purchase["price_euro_cents"]) == (500, 500)
    assert purchase["stripe_checkout_session_id"] == body["sessionId"]

    listed = await stripe_client.get(PURCHASES, headers=user.headers)
    assert listed.status_code == 200
    [shown] = listed.json()
    assert shown["id"] == body["purchaseId"]
    assert shown["status"] == "pending"
    assert (shown["credits"], shown["priceEuroCents"]) == (500, 500)
    assert shown["refundedCredits"] == 0
    assert shown["createdAt"] and shown["completedAt"] is None


async def test_a_package_with_a_stripe_price_is_sold_by_that_price(
    stripe_client: httpx.AsyncClient, fake_stripe: FakeStripe, user: CreditUser
) -> None:
    package = await make_package(stripe_price_id=f"price_{uuid.uuid4().hex[:12]}")

    response = await stripe_client.post(
        CHECKOUT, json={"packageId": str(package.id)}, headers=user.headers
    )

    assert response.status_code == 201, response.text
    sent = fake_stripe.for_purchase(response.json()["purchaseId"])
    assert sent.form["line_items[0][price]"] == package.stripe_price_id
    assert sent.form["line_items[0][quantity]"] == "1"
    assert not any("price_data" in key for key in sent.form)
    # Without redirect URLs, both lead to the default public URL.
    assert sent.form["success_url"] == "https://mana.example"
    assert sent.form["cancel_url"] == "https://mana.example"


async def test_anonymous_and_invalid_tokens_are_refused(
    stripe_client: httpx.AsyncClient, fake_stripe: FakeStripe, package: Package
) -> None:
    before = len(fake_stripe.sessions_created())
    body = {"packageId": str(package.id)}
    anonymous = await stripe_client.post(CHECKOUT, json=body)
    forged = await stripe_client.post(
        CHECKOUT, json=body, headers={"Authorization": "Bearer not-a-token"}
    )
    assert anonymous.status_code == forged.status_code == 401
    assert anonymous.json()["code"] == "UNAUTHORIZED"
    assert len(fake_stripe.sessions_created()) == before


async def test_a_purchase_is_listed_only_for_its_buyer(
    stripe_client: httpx.AsyncClient, user: CreditUser, package: Package
) -> None:
    other = await create_user()
    response = await stripe_client.post(
        CHECKOUT, json={"packageId": str(package.id)}, headers=user.headers
    )
    assert response.status_code == 201

    theirs = await stripe_client.get(PURCHASES, headers=other.headers)
    assert theirs.status_code == 200 and theirs.json() == []


async def test_unknown_and_inactive_packages_are_404(
    stripe_client: httpx.AsyncClient, fake_stripe: FakeStripe, user: CreditUser
) -> None:
    inactive = await make_package(active=False)
    before = len(fake_stripe.sessions_created())
    for package_id in (uuid.uuid4(), inactive.id):
        response = await stripe_client.post(
            CHECKOUT, json={"packageId": str(package_id)}, headers=user.headers
        )
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "PACKAGE_NOT_FOUND"
    assert len(fake_stripe.sessions_created()) == before
    assert not await Purchase.exists().where(Purchase.user == user.id)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"packageId": "not-a-uuid"},
        {"packageId": 5},
        {"packageId": str(uuid.uuid4()), "extra": 1},
        {"packageId": str(uuid.uuid4()), "successUrl": 7},
        {"packageId": str(uuid.uuid4()), "successUrl": "https://x\x00y"},
        {"packageId": str(uuid.uuid4()), "cancelUrl": "https://" + "a" * 3000},
    ],
    ids=repr,
)
async def test_malformed_bodies_are_400_in_the_envelope(
    stripe_client: httpx.AsyncClient, user: CreditUser, body: dict[str, object]
) -> None:
    response = await stripe_client.post(CHECKOUT, json=body, headers=user.headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/credits",
        "https://chat.example.evil.example/",
        "https://chat.example:8443/",
        "http://chat.example/app",  # another scheme is another origin
        "https://user@chat.example/",
        "https://chat.example\\@evil.example/",
        "https://evil.example\\.chat.example/",
        "//evil.example/",
        "javascript:alert(1)",
        "/relative/path",
        "https://chat.example /x",
    ],
)
@pytest.mark.parametrize("field", ["successUrl", "cancelUrl"])
async def test_redirects_outside_the_configured_apps_are_refused(
    stripe_client: httpx.AsyncClient,
    fake_stripe: FakeStripe,
    user: CreditUser,
    package: Package,
    url: str,
    field: str,
) -> None:
    before = len(fake_stripe.sessions_created())
    response = await stripe_client.post(
        CHECKOUT, json={"packageId": str(package.id), field: url}, headers=user.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "REDIRECT_URL_NOT_ALLOWED"
    assert len(fake_stripe.sessions_created()) == before
    assert not await Purchase.exists().where(Purchase.user == user.id)


async def test_any_configured_app_is_a_valid_redirect(
    stripe_client: httpx.AsyncClient, user: CreditUser, package: Package
) -> None:
    for url in ("https://CHAT.example:443/other", "https://mana.example/x?y=1"):
        response = await stripe_client.post(
            CHECKOUT,
            json={"packageId": str(package.id), "successUrl": url},
            headers=user.headers,
        )
        assert response.status_code == 201, (url, response.text)


async def test_without_a_stripe_key_checkout_is_503_payments_not_configured(
    client: httpx.AsyncClient, user: CreditUser, package: Package
) -> None:
    response = await client.post(
        CHECKOUT, json={"packageId": str(package.id)}, headers=user.headers
    )
    assert response.status_code == 503
    assert response.json()["code"] == "PAYMENTS_NOT_CONFIGURED"
    assert not await Purchase.exists().where(Purchase.user == user.id)


async def test_stripe_refusing_is_502_and_the_purchase_failed(
    stripe_client: httpx.AsyncClient,
    fake_stripe: FakeStripe,
    user: CreditUser,
    package: Package,
) -> None:
    fake_stripe.fail_with = (
        400,
        {"error": {"type": "invalid_request_error", "message": "No such price"}},
    )
    response = await stripe_client.post(
        CHECKOUT, json={"packageId": str(package.id)}, headers=user.headers
    )
    assert response.status_code == 502, response.text
    assert response.json()["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert "No such price" not in response.text
    [purchase] = await Purchase.select().where(Purchase.user == user.id)
    assert purchase["status"] == "failed"


async def test_stripe_unreachable_is_502(
    client: httpx.AsyncClient, user: CreditUser, package: Package
) -> None:
    from main import create_app
    from mana_core_auth.settings import Settings

    closed = f"http://127.0.0.1:{free_port_in_range()}"
    app = create_app(Settings(**PAYMENT_SETTINGS, stripe_api_base=closed))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.post(
            CHECKOUT, json={"packageId": str(package.id)}, headers=user.headers
        )
    assert response.status_code == 502, response.text
    assert response.json()["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
