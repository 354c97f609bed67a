"""Writing `security_events`: what happened to an account, from where.

Callers pass only facts that are safe to keep: ids, reasons, device names.
Never a password, a token or a hash.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from piccolo.utils.encoding import dump_json

from auth_tables.tables import SecurityEventType
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.sql import fetch


def insert_event_sql(first: int) -> str:
    """An insert of one event, `event_values` bound from `$first` on."""
    p = [f"${first + i}" for i in range(7)]
    return f"""
INSERT INTO auth.security_events
    (id, user_id, event_type, ip_address, user_agent, metadata, created_at)
VALUES ({p[0]}, {p[1]}, {p[2]}, {p[3]}, {p[4]}, {p[5]}::jsonb, {p[6]})
"""  # noqa: S608 (placeholders only)


_INSERT = insert_event_sql(1)


def event_values(
    event_type: SecurityEventType,
    *,
    user_id: uuid.UUID | None,
    client: ClientInfo,
    **metadata: Any,
) -> tuple[Any, ...]:
    """The values `insert_event_sql` binds, in order; metadata without its None
    values, and none at all if nothing is left."""
    kept = {key: value for key, value in metadata.items() if value is not None}
    return (
        uuid.uuid4(),
        user_id,
        event_type.value,
        client.ip_address,
        client.user_agent,
        dump_json(kept) if kept else None,
        datetime.now(UTC),
    )


async def record_event(
    event_type: SecurityEventType,
    *,
    user_id: uuid.UUID | None,
    client: ClientInfo,
    **metadata: Any,
) -> None:
    """Insert one event; inside a transaction, it is part of it."""
    await fetch(
        _INSERT, *event_values(event_type, user_id=user_id, client=client, **metadata)
    )
