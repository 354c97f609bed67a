"""Exactly-once spending: an idempotency key names one spend of one user.

The key and a fingerprint of the request body are stored on the usage row,
written in the spend's own statement, so a key is used at most once (unique
per user). A retry with the same body gets the first answer rebuilt from the
ledger; with a different body it is refused.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from mana_core_auth.credits.errors import IdempotencyKeyReused
from mana_core_auth.credits.ledger import (
    ENTRY_COLUMNS,
    LedgerChange,
)
from mana_core_auth.sql import fetch_one

KEY_CONSTRAINT = "transactions_user_idempotency_key_unique"


def request_fingerprint(
    *, amount: int, app_id: str, description: str, metadata: dict[str, Any] | None
) -> str:
    body = {
        "amount": amount,
        "appId": app_id,
        "description": description,
        "metadata": metadata,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# The entry and the balance right after it, summed from the ledger up to the
# entry's balance_version: what the first answer said.
_REPLAY = f"""
SELECT {ENTRY_COLUMNS}, request_fingerprint,
    (SELECT coalesce(sum(l.amount - l.free_amount), 0) FROM credits.transactions l
     WHERE l.user_id = t.user_id AND l.status = 'completed'
       AND l.balance_version <= t.balance_version) AS new_balance,
    (SELECT coalesce(sum(l.free_amount), 0) FROM credits.transactions l
     WHERE l.user_id = t.user_id AND l.status = 'completed'
       AND l.balance_version <= t.balance_version) AS new_free,
    (SELECT coalesce(-sum(l.amount), 0) FROM credits.transactions l
     WHERE l.user_id = t.user_id AND l.status = 'completed'
       AND l.type IN ('usage', 'refund')
       AND l.balance_version <= t.balance_version) AS new_total_spent
FROM credits.transactions t
WHERE t.user_id = $1::uuid AND t.idempotency_key = $2::varchar
"""  # noqa: S608 (ENTRY_COLUMNS is a constant)


async def replay(
    user_id: uuid.UUID, idempotency_key: str, fingerprint: str
) -> LedgerChange | None:
    """The first answer for this key, or None if the key is unused.

    :raises IdempotencyKeyReused: if the key was used with another body.
    """
    row = await fetch_one(_REPLAY, user_id, idempotency_key)
    if row is None:
        return None
    if row["request_fingerprint"] != fingerprint:
        raise IdempotencyKeyReused()
    return LedgerChange.from_record(row)
