"""Writing `security_events`: what happened to an account, from where.

Callers pass only facts that are safe to keep: ids, reasons, device names.
Never a password, a token or a hash.
"""

from __future__ import annotations

import uuid
from typing import Any

from auth_tables.tables import SecurityEvent, SecurityEventType
from mana_core_auth.auth.client_ip import ClientInfo


async def record_event(
    event_type: SecurityEventType,
    *,
    user_id: uuid.UUID | None,
    client: ClientInfo,
    **metadata: Any,
) -> None:
    """Insert one event; inside a transaction, it is part of it."""
    await SecurityEvent.insert(
        SecurityEvent(
            user=user_id,
            event_type=event_type,
            ip_address=client.ip_address,
            user_agent=client.user_agent,
            metadata={
                key: value for key, value in metadata.items() if value is not None
            }
            or None,
        )
    )
