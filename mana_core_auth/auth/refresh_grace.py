"""The grace window of refresh-token rotation (Supabase's reuse interval).

Two tabs refreshing at once, or a client retrying a refresh whose answer it
never got, present a token that was just exchanged. Within
`REFRESH_REUSE_GRACE_SECONDS` of the exchange, and only while the successor
is still the session's current token, that is no theft: the answer is the
same successor again (rebuilt from the presented token with the server key,
see `SessionKeys.refresh_successor`) and a new access token. A token whose
successor was itself exchanged is two rotations old, and any reuse after the
window is reuse: those end the family (`sessions._detect_reuse`).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from mana_core_auth.auth.errors import InvalidRefreshToken
from mana_core_auth.security.session_keys import SessionKeys
from mana_core_auth.security.tokens import hash_token
from mana_core_auth.sql import fetch_one

# Reads only committed rows: a refresh that lost the race for the row lock
# runs this after the winner's successor is committed.
_CURRENT_SUCCESSOR = """
SELECT successor.user_id, successor.family_id, successor.device_id,
       successor.refresh_token_hash, successor.expires_at
FROM auth.sessions AS presented
JOIN auth.sessions AS successor ON successor.id = presented.replaced_by
JOIN auth.users AS account ON account.id = successor.user_id
WHERE presented.refresh_token_hash = $1
  AND presented.revoked_at > now() - make_interval(secs => $2::int)
  AND successor.revoked_at IS NULL
  AND successor.refresh_token_expires_at > now()
  AND account.deleted_at IS NULL
"""


@dataclass(frozen=True)
class CurrentSuccessor:
    user_id: uuid.UUID
    family_id: uuid.UUID
    device_id: str | None
    refresh_token: str
    expires_at: datetime


async def successor_within_grace(
    refresh_token: str, keys: SessionKeys, grace_seconds: int
) -> CurrentSuccessor | None:
    """The current successor of a token exchanged less than `grace_seconds`
    ago; None if there is none (then it is reuse, or not a token at all).

    :raises InvalidRefreshToken: the successor is current but not the one
        this key makes of the token (made before the key changed): refused,
        and nothing ends.
    """
    if grace_seconds <= 0:
        return None
    row = await fetch_one(_CURRENT_SUCCESSOR, hash_token(refresh_token), grace_seconds)
    if row is None:
        return None
    successor = keys.refresh_successor(refresh_token)
    if not hmac.compare_digest(row["refresh_token_hash"], hash_token(successor)):
        raise InvalidRefreshToken()
    return CurrentSuccessor(
        user_id=row["user_id"],
        family_id=row["family_id"],
        device_id=row["device_id"],
        refresh_token=successor,
        expires_at=row["expires_at"],
    )
