"""Everything the service holds about a user, for them to take away: profile,
sessions, security history, balance, ledger and purchases. No password
hash, token digest or two-factor secret is part of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from auth_tables.tables import SecurityEvent, SecurityEventType, Session, User
from credit_tables.tables import Balance, Purchase, Transaction
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.two_factor import two_factor_enabled
from mana_core_auth.credits.ledger import ENTRY_FIELDS, LedgerEntry
from mana_core_auth.errors import Unauthorized

# One entry per session (family): its first row's start, its newest row's
# state (the last refresh's address, whether and when it ended).
_SESSIONS = """
SELECT DISTINCT ON (family_id)
    family_id AS id, device_id, device_name, ip_address, user_agent,
    min(created_at) OVER (PARTITION BY family_id) AS created_at,
    last_activity_at, expires_at, revoked_at
FROM auth.sessions
WHERE user_id = {}
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
    sessions = await Session.raw(_SESSIONS, user_id)
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
    balance = (
        await Balance.select(
            Balance.balance,
            Balance.free_credits_remaining,
            Balance.total_earned,
            Balance.total_spent,
            Balance.daily_free_credits,
        )
        .where(Balance.user == user_id)
        .first()
    )
    ledger = await (
        Transaction.select(*ENTRY_FIELDS)
        .where(Transaction.user == user_id)
        .order_by(Transaction.balance_version, Transaction.created_at)
        .output(load_json=True)
    )
    purchases = await (
        Purchase.select(
            Purchase.id,
            Purchase.package.as_alias("package_id"),
            Purchase.credits,
            Purchase.price_euro_cents,
            Purchase.status,
            Purchase.created_at,
            Purchase.completed_at,
        )
        .where(Purchase.user == user_id)
        .order_by(Purchase.created_at)
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
        "balance": balance,
        "ledger": [LedgerEntry.from_record(row) for row in ledger],
        "purchases": purchases,
    }
