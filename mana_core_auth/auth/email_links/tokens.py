"""Single-use tokens sent in links: email verification and password reset.

A token (256 random bits) goes into the mail only; the table keeps its
SHA-256. Issuing one deletes the user's unused tokens of its type, so only
the newest link works. Using one is a conditional update: of two concurrent
uses, exactly one wins.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from auth_tables.tables import VerificationToken, VerificationTokenType
from mana_core_auth.security.tokens import hash_token
from mana_core_auth.sql import fetch

LINK_TOKEN_BYTES = 32


@dataclass(frozen=True)
class NewLinkToken:
    # Goes into the mail only.
    token: str
    # The values `insert_link_token_sql` binds, in order.
    values: tuple[Any, ...]


def insert_link_token_sql(first: int) -> str:
    """An insert of one link token, `NewLinkToken.values` bound from `$first`
    on."""
    p = [f"${first + i}" for i in range(6)]
    return f"""
INSERT INTO auth.verification_tokens
    (id, user_id, type, token_hash, created_at, expires_at)
VALUES ({p[0]}, {p[1]}, {p[2]}, {p[3]}, {p[4]}, {p[5]})
"""  # noqa: S608 (placeholders only)


def new_link_token(
    user_id: uuid.UUID, kind: VerificationTokenType, ttl_seconds: int
) -> NewLinkToken:
    token = secrets.token_urlsafe(LINK_TOKEN_BYTES)
    now = datetime.now(UTC)
    return NewLinkToken(
        token=token,
        values=(
            uuid.uuid4(),
            user_id,
            kind.value,
            hash_token(token),
            now,
            now + timedelta(seconds=ttl_seconds),
        ),
    )


_LOCK_USER = "SELECT 1 FROM auth.users WHERE id = $1 FOR UPDATE"

# The delete does not see the row its own statement inserts.
_REPLACE_UNUSED = f"""
WITH superseded AS (
    DELETE FROM auth.verification_tokens
    WHERE user_id = $2 AND type = $3 AND used_at IS NULL
)
{insert_link_token_sql(1)}
"""  # noqa: S608 (placeholders only)


async def issue_link_token(
    user_id: uuid.UUID, kind: VerificationTokenType, ttl_seconds: int
) -> str:
    issued = new_link_token(user_id, kind, ttl_seconds)
    async with VerificationToken._meta.db.transaction():
        # Serialises issuing per user, so two requests at once cannot leave
        # two live tokens behind: the replacing statement runs after the
        # lock, and so sees a token the other request committed.
        await fetch(_LOCK_USER, user_id)
        await fetch(_REPLACE_UNUSED, *issued.values)
    return issued.token


_USE = """
UPDATE auth.verification_tokens AS token SET used_at = now()
WHERE token.token_hash = $1 AND token.type = $2
  AND token.used_at IS NULL AND token.expires_at > now()
  AND EXISTS (
      SELECT 1 FROM auth.users AS account
      WHERE account.id = token.user_id AND account.deleted_at IS NULL
  )
RETURNING token.user_id
"""


async def link_token_is_usable(token: str, kind: VerificationTokenType) -> bool:
    """Whether `use_link_token` would succeed now (it still decides)."""
    return await VerificationToken.exists().where(
        (VerificationToken.token_hash == hash_token(token))
        & (VerificationToken.type == kind)
        & VerificationToken.used_at.is_null()
        & (VerificationToken.expires_at > datetime.now(UTC))
        & VerificationToken.user.deleted_at.is_null()
    )


async def use_link_token(token: str, kind: VerificationTokenType) -> uuid.UUID | None:
    """Mark the token used; its user's id, or None if the token is unknown,
    used, superseded, expired, or its user deleted."""
    rows = await fetch(_USE, hash_token(token), kind.value)
    return rows[0]["user_id"] if rows else None


async def delete_unused_link_tokens(user_id: uuid.UUID) -> int:
    """Delete every unused link of the user, of either kind; how many. For a
    change of credentials or sessions: a link mailed before it must not undo
    it (whoever had the mailbox then may not have it now)."""
    deleted = await (
        VerificationToken.delete()
        .where(
            (VerificationToken.user == user_id) & VerificationToken.used_at.is_null()
        )
        .returning(VerificationToken.id)
    )
    return len(deleted)
