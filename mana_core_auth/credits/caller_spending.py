"""Whose credits a caller spends, and under which idempotency keys.

A session or a personal key spends its own user's credits (`userId`, if
given, must be that user); a service key spends the credits of the user it
names in `userId`. Keys sent by a service key live in their app's own
namespace, so that two apps' keys, or a user's key and an app's, never
answer for each other: the ledger stores them as `app:` and a digest of
(app id, key), and the answer shows the key as it was sent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from datetime import datetime
from typing import Any

from auth_tables.tables import ApiKeyKind
from mana_core_auth.api_keys.errors import (
    OtherUserForbidden,
    UnknownUser,
    UserIdRequired,
)
from mana_core_auth.auth.caller import Caller
from mana_core_auth.credits.errors import BalanceNotFound
from mana_core_auth.credits.ledger import LedgerChange
from mana_core_auth.credits.spending import spend
from mana_core_auth.settings import Settings


def _acts_for_others(caller: Caller) -> bool:
    return caller.key is not None and caller.key.kind is ApiKeyKind.service


def spending_user(caller: Caller, requested: uuid.UUID | None) -> uuid.UUID:
    """:raises UserIdRequired: for a service key without `userId`.
    :raises OtherUserForbidden: for anyone else naming another user."""
    if _acts_for_others(caller):
        if requested is None:
            raise UserIdRequired()
        return requested
    own = caller.own_user_id()
    if requested is not None and requested != own:
        raise OtherUserForbidden()
    return own


def stored_idempotency_key(caller: Caller, key: str | None) -> str | None:
    """The key as the ledger stores it (in the caller's namespace)."""
    if key is None or not _acts_for_others(caller):
        return key
    assert caller.key is not None and caller.key.app_id is not None
    scoped = f"{caller.key.app_id}\x00{key}".encode("utf-8", "surrogatepass")
    return "app:" + hashlib.sha256(scoped).hexdigest()


async def spend_for_caller(
    caller: Caller,
    *,
    user_id: uuid.UUID | None,
    amount: int,
    app_id: str,
    description: str,
    metadata: dict[str, Any] | None,
    idempotency_key: str | None,
    now: datetime,
    settings: Settings,
) -> LedgerChange:
    """`spending.spend` for the user the caller spends for.

    :raises UserIdRequired, OtherUserForbidden: see `spending_user`.
    :raises UnknownUser: if a service key names no live user.
    And whatever `spending.spend` raises.
    """
    target = spending_user(caller, user_id)
    stored_key = stored_idempotency_key(caller, idempotency_key)
    try:
        change = await spend(
            target,
            amount=amount,
            app_id=app_id,
            description=description,
            metadata=metadata,
            idempotency_key=stored_key,
            now=now,
            settings=settings,
            api_key_id=caller.key.id if caller.key is not None else None,
        )
    except BalanceNotFound:
        # Whom a service key names is its caller's word, not a signed-in
        # user: no such live user is a 404 of its own.
        if _acts_for_others(caller):
            raise UnknownUser() from None
        raise
    if stored_key == idempotency_key:
        return change
    return dataclasses.replace(
        change,
        transaction=dataclasses.replace(
            change.transaction, idempotency_key=idempotency_key
        ),
    )
