"""The record of received Stripe events (`credits.stripe_events`): each
event id once, written in the transaction that applies the event."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from credit_tables.tables import StripeEvent
from mana_core_auth.credits.payments.errors import InvalidEvent
from mana_core_auth.settings import Settings
from mana_core_auth.sql import fetch, fetch_one


@dataclass(frozen=True)
class ReceivedEvent:
    """A verified Stripe event: its id, type, creation time and object."""

    id: str
    type: str
    created: datetime | None
    object: dict[str, Any]

    @classmethod
    def from_payload(cls, payload: bytes) -> ReceivedEvent:
        """:raises InvalidEvent: unless `payload` is a Stripe event."""
        try:
            event = json.loads(payload)
        except ValueError as error:
            raise InvalidEvent() from error
        data = event.get("data") if isinstance(event, dict) else None
        thing = data.get("object") if isinstance(data, dict) else None
        ids = (event.get("id"), event.get("type")) if isinstance(event, dict) else ()
        if not isinstance(thing, dict) or not all(
            isinstance(value, str) and 0 < len(value) <= 255 for value in ids
        ):
            raise InvalidEvent()
        created = event.get("created")
        return cls(
            id=event["id"],
            type=event["type"],
            created=(
                datetime.fromtimestamp(created, UTC)
                if isinstance(created, int)
                else None
            ),
            object=thing,
        )


@dataclass(frozen=True)
class EventContext:
    """What a handler gets besides the event's object."""

    event: ReceivedEvent
    settings: Settings
    now: datetime


@dataclass(frozen=True)
class Handled:
    """What handling an event did: `outcome` is kept on the event's row;
    `waits` keeps the event to be applied when its purchase completes."""

    outcome: str
    purchase_id: uuid.UUID | None = None
    waits: bool = False


def stripe_id(value: Any) -> str | None:
    """The id of a field that is an id or an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


_RECORD = """
INSERT INTO credits.stripe_events
    (id, event_id, type, object_id, payment_intent_id, stripe_created_at,
     received_at)
VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6)
ON CONFLICT (event_id) DO NOTHING
RETURNING id
"""


async def record_event(event: ReceivedEvent, *, now: datetime) -> uuid.UUID | None:
    """Record the event; None if its id was recorded before. A concurrent
    delivery of the same id waits here until the first one commits (then
    gets None) or rolls back (then records it)."""
    row = await fetch_one(
        _RECORD,
        event.id,
        event.type,
        stripe_id(event.object.get("id")),
        payment_intent_of(event.object),
        event.created,
        now,
    )
    return None if row is None else row["id"]


def payment_intent_of(thing: dict[str, Any]) -> str | None:
    """The payment intent a session, charge or dispute belongs to."""
    if thing.get("object") == "payment_intent":
        return stripe_id(thing.get("id"))
    return stripe_id(thing.get("payment_intent"))


async def finish_event(
    row_id: uuid.UUID,
    *,
    outcome: str,
    purchase_id: uuid.UUID | None,
    now: datetime,
) -> None:
    await StripeEvent.update(
        {
            StripeEvent.outcome: outcome,
            StripeEvent.purchase: purchase_id,
            StripeEvent.processed_at: now,
            StripeEvent.payload: None,
        }
    ).where(StripeEvent.id == row_id)


async def defer_event(
    row_id: uuid.UUID,
    event: ReceivedEvent,
    *,
    outcome: str,
    purchase_id: uuid.UUID | None,
) -> None:
    """Keep the event's object until its purchase completes."""
    await StripeEvent.update(
        {
            StripeEvent.outcome: outcome,
            StripeEvent.purchase: purchase_id,
            StripeEvent.payload: json.dumps(event.object),
        }
    ).where(StripeEvent.id == row_id)


_WAITING = """
SELECT id, event_id, type, stripe_created_at, payload
FROM credits.stripe_events
WHERE payment_intent_id = $1 AND processed_at IS NULL AND payload IS NOT NULL
ORDER BY stripe_created_at, received_at
FOR UPDATE
"""


async def waiting_events(
    payment_intent_id: str,
) -> list[tuple[uuid.UUID, ReceivedEvent]]:
    """Events that wait for the purchase of this payment intent, oldest
    first, with their row ids; locked until the transaction ends."""
    rows = await fetch(_WAITING, payment_intent_id)
    return [
        (
            row["id"],
            ReceivedEvent(
                id=row["event_id"],
                type=row["type"],
                created=row["stripe_created_at"],
                object=json.loads(row["payload"]),
            ),
        )
        for row in rows
    ]
