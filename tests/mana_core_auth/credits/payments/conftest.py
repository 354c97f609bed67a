"""Fixtures of the payment tests: a fake Stripe API on 127.0.0.1, and a
client for an app whose Stripe settings point at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from credit_tables.tables import Package
from tests.mana_core_auth.credits.payments.fake_stripe import (
    FakeStripe,
    start_fake_stripe,
)
from tests.mana_core_auth.credits.payments.support import (
    PAYMENT_SETTINGS,
    make_package,
)


@pytest.fixture(scope="session")
def fake_stripe() -> Iterator[FakeStripe]:
    fake, server = start_fake_stripe()
    yield fake
    server.shutdown()


@pytest.fixture(autouse=True)
def _fresh_fake(fake_stripe: FakeStripe) -> Iterator[None]:
    yield
    fake_stripe.fail_with = None
    fake_stripe.hold = None
    fake_stripe.held.clear()


@pytest.fixture(scope="session")
async def stripe_client(
    client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app with Stripe configured against the fake. Its
    lifespan is not run: it shares the first app's pool."""
    from main import create_app
    from mana_core_auth.settings import Settings

    app = create_app(Settings(**PAYMENT_SETTINGS, stripe_api_base=fake_stripe.url))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as http:
        yield http


@pytest.fixture
async def package(app: object) -> Package:
    return await make_package(credits=500, cents=500)
