"""Everything the service holds about a user, for them to take away: profile,
sessions, security history, balance, ledger and purchases. No password
hash, token digest or two-factor secret is part of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from auth_tables.tables import SecurityEvent, SecurityEventType, User
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.two_factor.enrolment import two_factor_enabled
from mana_core_auth.credits import history
from mana_core_auth.errors import Unauthorized
from mana_core_auth.sql import fetch

# One entry per session (family): its first row's start, its newest row's
# state (the last refresh's address, whether and when it ended).
_SESSIONS = """
SELECT DISTINCT ON (family_id)
    family_id AS id, device_id, device_name, ip_address, user_agent,
    min(created_at) OVER (PARTITION BY family_id) AS created_at,
    last_activity_at, expires_at, revoked_at
FROM auth.sessions
WHERE user_id = $1
ORDER BY family_id, created_at DESC
"""


async def export_account(user_id: uuid.UUID, client: ClientInfo) -> dict[str, Any]:
    """:raises Unauthorized: if the account is gone."""
    profile = (
        await User.select(
            User.id,
            User.email,
            User.email_verified,
            User.name,
            User.avatar_url,
            User.role,
            User.created_at,
        )
        .where(User.id == user_id)
        .first()
    )
    if profile is None:
        raise Unauthorized("Account not found")
    sessions = await fetch(_SESSIONS, user_id)
    events = await (
        SecurityEvent.select(
            SecurityEvent.event_type,
            SecurityEvent.ip_address,
            SecurityEvent.user_agent,
            SecurityEvent.metadata,
            SecurityEvent.created_at,
        )
        .where(SecurityEvent.user == user_id)
        .order_by(SecurityEvent.created_at)
        .output(load_json=True)
    )
    await record_event(
        SecurityEventType.account_exported, user_id=user_id, client=client
    )
    return {
        "exported_at": datetime.now(UTC),
        "profile": profile,
        "two_factor_enabled": await two_factor_enabled(user_id),
        "sessions": [dict(row) for row in sessions],
        "security_events": events,
        "balance": await history.balance_totals(user_id),
        "ledger": await history.whole_ledger(user_id),
        "purchases": await history.list_purchases(
            user_id, limit=None, newest_first=False
        ),
    }
