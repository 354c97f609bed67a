"""The Stripe API through the official library, configured from the
settings: `STRIPE_SECRET_KEY`, and `STRIPE_API_BASE` as the library's `api`
base address (tests point it at a local fake). Async over httpx, so a
checkout does not hold a thread while Stripe answers.

The library (with httpx and requests under it) is imported by the first
checkout, not at start: it cost each worker ~0.1 s of its start and ~10 MB.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from mana_core_auth.credits.payments.errors import (
    PaymentProviderUnavailable,
    PaymentsNotConfigured,
)
from mana_core_auth.settings import Settings

logger = logging.getLogger(__name__)
# The library logs request bodies and Stripe's error messages (which can
# quote the request) at info and debug; the warning below says what failed.
logging.getLogger("stripe").setLevel(logging.WARNING)

# Connection failures and Stripe's 409/429/5xx are retried with the same
# idempotency key, so a retry never makes a second session.
MAX_NETWORK_RETRIES = 2


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


class CheckoutGateway(Protocol):
    async def create_checkout_session(
        self, params: dict[str, Any], *, idempotency_key: str
    ) -> CheckoutSession: ...


class StripeCheckout:
    """Creates Checkout Sessions with a `StripeClient`."""

    def __init__(self, secret_key: str, api_base: str, timeout: float) -> None:
        import stripe

        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base},
            http_client=stripe.HTTPXClient(timeout=timeout),
            max_network_retries=MAX_NETWORK_RETRIES,
        )

    async def create_checkout_session(
        self, params: dict[str, Any], *, idempotency_key: str
    ) -> CheckoutSession:
        """:raises PaymentProviderUnavailable: if Stripe refuses or fails."""
        import stripe

        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            # The class, status and Stripe's code only: messages can quote
            # the request.
            logger.warning(
                "stripe refused a checkout session: %s (status %s, code %s, "
                "request %s)",
                type(error).__name__,
                error.http_status,
                error.code,
                error.request_id,
            )
            raise PaymentProviderUnavailable() from error
        if not session.url:
            raise PaymentProviderUnavailable()
        return CheckoutSession(id=session.id, url=session.url)


@lru_cache(maxsize=4)
def _stripe_checkout(secret_key: str, api_base: str, timeout: float) -> StripeCheckout:
    # One client (and its connection pool) per configuration and process.
    return StripeCheckout(secret_key, api_base, timeout)


def checkout_gateway(settings: Settings) -> CheckoutGateway:
    """:raises PaymentsNotConfigured: without `STRIPE_SECRET_KEY`."""
    if settings.stripe_secret_key is None:
        raise PaymentsNotConfigured()
    return _stripe_checkout(
        settings.stripe_secret_key.get_secret_value(),
        settings.stripe_api_base,
        settings.stripe_timeout_seconds,
    )
