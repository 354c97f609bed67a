"""What a successful login or refresh hands out: the user, a signed access
token bound to the session, and the session's new refresh token."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from auth_tables.tables import User
from mana_core_auth.auth.sessions import IssuedSession
from mana_core_auth.errors import Unauthorized
from mana_core_auth.observability.context import note_user
from mana_core_auth.security.tokens import TokenService


@dataclass(frozen=True)
class SignedInUser:
    id: uuid.UUID
    email: str
    name: str | None
    role: str
    email_verified: bool


@dataclass(frozen=True)
class TokenPair:
    user: SignedInUser
    access_token: str
    refresh_token: str
    expires_in: int


SIGNED_IN_USER_COLUMNS = (
    User.id,
    User.email,
    User.name,
    User.role,
    User.email_verified,
)


async def load_signed_in_user(user_id: uuid.UUID) -> SignedInUser:
    row = await User.select(*SIGNED_IN_USER_COLUMNS).where(User.id == user_id).first()
    if row is None:  # removed for good (not soft-deleted) a moment ago
        raise Unauthorized("Account not found")
    return SignedInUser(**row)


def issue_tokens(
    tokens: TokenService, user: SignedInUser, session: IssuedSession
) -> TokenPair:
    note_user(user.id)
    now = int(time.time())
    # Never past the session's end, so that a token's session can be
    # known live without a query (auth/revocation.py): it ends by expiry
    # only after its tokens have.
    expires_at = min(now + tokens.access_ttl, int(session.expires_at.timestamp()))
    access_token = tokens.issue_access_token(
        user_id=user.id,
        email=user.email,
        role=user.role,
        session_id=session.id,
        device_id=session.device_id,
        email_verified=user.email_verified,
        expires_at=expires_at,
    )
    return TokenPair(
        user=user,
        access_token=access_token,
        refresh_token=session.refresh_token,
        expires_in=expires_at - now,
    )
