"""The webhook verifies `Stripe-Signature` over the raw body with the
library (300 s tolerance): anything else is 400 and stores nothing. Event
types the service does not act on are answered 200 and ignored."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from credit_tables.tables import StripeEvent
from tests.mana_core_auth.credits.payments.support import (
    WEBHOOK,
    WEBHOOK_SECRET,
    deliver,
    event,
    signature,
)


def an_event() -> tuple[str, str]:
    body = event("customer.created", {"id": "cus_1", "object": "customer"})
    return body, json.loads(body)["id"]


async def stored(event_id: str) -> bool:
    return await StripeEvent.exists().where(StripeEvent.event_id == event_id)


async def test_a_signed_event_is_accepted_and_stored_once(
    stripe_client: httpx.AsyncClient,
) -> None:
    body, event_id = an_event()
    first = await deliver(stripe_client, body)
    again = await deliver(stripe_client, body)

    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["outcome"].startswith("ignored")
    assert again.json()["outcome"].startswith("duplicate")
    [row] = await StripeEvent.select().where(StripeEvent.event_id == event_id)
    assert row["type"] == "customer.created"
    assert row["processed_at"] is not None and row["received_at"] is not None


def _tampered(body: str) -> str:
    return signature(body.replace("customer.created", "customer.deleted"))


BAD_SIGNATURES = {
    "missing": lambda body: "",
    "another secret": lambda body: signature(body, secret="whsec_other"),
    "another body": _tampered,
    "expired (301 s old)": lambda body: signature(body, at=int(time.time()) - 301),
    "no v1": lambda body: signature(body).replace("v1=", "v0="),
    "garbage": lambda body: "t=abc,v1=zz",
    "only a timestamp": lambda body: f"t={int(time.time())}",
}


@pytest.mark.parametrize("make", BAD_SIGNATURES.values(), ids=BAD_SIGNATURES.keys())
async def test_bad_signatures_are_400_and_store_nothing(
    stripe_client: httpx.AsyncClient, make
) -> None:
    body, event_id = an_event()
    response = await deliver(stripe_client, body, sig=make(body))

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_STRIPE_SIGNATURE"
    assert WEBHOOK_SECRET not in response.text
    assert not await stored(event_id)


async def test_no_signature_header_at_all_is_400(
    stripe_client: httpx.AsyncClient,
) -> None:
    body, event_id = an_event()
    response = await stripe_client.post(
        WEBHOOK, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_STRIPE_SIGNATURE"
    assert not await stored(event_id)


async def test_the_signature_covers_the_raw_bytes(
    stripe_client: httpx.AsyncClient,
) -> None:
    """Re-serialising the JSON (other spacing) breaks the signature."""
    body, event_id = an_event()
    reformatted = json.dumps(json.loads(body), indent=2)
    response = await deliver(stripe_client, reformatted, sig=signature(body))
    assert response.status_code == 400
    assert not await stored(event_id)


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", '{"id": "evt_1"}', '{"id": 5, "type": "x", "data": {}}'],
)
async def test_signed_bodies_that_are_not_events_are_400(
    stripe_client: httpx.AsyncClient, body: str
) -> None:
    response = await deliver(stripe_client, body)
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_STRIPE_EVENT"


async def test_without_a_webhook_secret_the_webhook_is_503(
    client: httpx.AsyncClient,
) -> None:
    body, event_id = an_event()
    response = await deliver(client, body)
    assert response.status_code == 503
    assert response.json()["code"] == "PAYMENTS_NOT_CONFIGURED"
    assert not await stored(event_id)
