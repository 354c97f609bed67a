"""Neither the Stripe keys, nor a signature, nor a user's token appear in
any log line of a checkout, a good or bad webhook, or a refund that falls
short."""

from __future__ import annotations

import logging

import httpx
import pytest

from credit_tables.tables import Package
from tests.mana_core_auth.credits.payments.fake_stripe import FakeStripe
from tests.mana_core_auth.credits.payments.support import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    deliver,
    signature,
    start_sale,
)
from tests.mana_core_auth.credits.support import USE, create_user


async def test_no_secret_is_logged(
    stripe_client: httpx.AsyncClient,
    fake_stripe: FakeStripe,
    package: Package,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await create_user(signup_bonus=0)
    sale = await start_sale(stripe_client, user, package)
    completed = sale.completed()
    good = signature(completed)
    await deliver(stripe_client, completed, sig=good)
    await stripe_client.post(
        USE,
        json={"amount": 400, "appId": "chat", "description": "x"},
        headers=user.headers,
    )
    await deliver(stripe_client, sale.refunded(500))
    await deliver(stripe_client, sale.refunded(500), sig=signature("other"))
    fake_stripe.fail_with = (400, {"error": {"message": f"bad key {SECRET_KEY}"}})
    await stripe_client.post(
        "/api/v1/credits/checkout",
        json={"packageId": str(package.id)},
        headers=user.headers,
    )

    logged = caplog.text
    assert "could not be taken back" in logged  # the shortfall is logged
    assert "stripe refused a checkout session" in logged
    for secret in (SECRET_KEY, WEBHOOK_SECRET, good.split("v1=")[1], user.token):
        assert secret not in logged
