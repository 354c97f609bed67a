"""The database itself refuses a second row for one Stripe event or one
checkout session, a purchase status outside its choices, and taken-back
credits outside 0..credits."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.database import fetch
from tests.mana_core_auth.credits.support import create_user


def test_event_ids_and_session_ids_are_unique(schema: dict) -> None:
    unique = {(t, d) for t, _, kind, d in schema["constraints"] if kind == "u"}
    assert ("credits.stripe_events", "UNIQUE (event_id)") in unique
    assert ("credits.purchases", "UNIQUE (stripe_checkout_session_id)") in unique
    assert ("credits.purchases", "UNIQUE (stripe_payment_intent_id)") in unique


async def test_a_stripe_event_is_stored_once(database_url: str) -> None:
    insert = "INSERT INTO credits.stripe_events (event_id, type) VALUES ($1, 'x.y')"
    event_id = f"evt_{uuid.uuid4().hex}"
    await fetch(database_url, insert, event_id)
    with pytest.raises(asyncpg.UniqueViolationError):
        await fetch(database_url, insert, event_id)


@pytest.mark.parametrize(
    "change",
    [
        "status = 'refunded'",
        "refunded_credits = -1",
        "refunded_credits = credits + 1",
        "disputed_credits = credits + 1",
        "credit_shortfall = -1",
    ],
)
async def test_purchase_checks(app: object, database_url: str, change: str) -> None:
    user = await create_user()
    rows = await fetch(
        database_url,
        "INSERT INTO credits.purchases (user_id, credits, price_euro_cents) "
        "VALUES ($1, 500, 500) RETURNING id",
        user.id,
    )
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            f"UPDATE credits.purchases SET {change} WHERE id = $1",
            rows[0]["id"],
        )
