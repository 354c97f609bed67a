"""Sessions and their refresh tokens: start, rotate, revoke, list.

A login starts a session: a family of rows, one per refresh token. Each
refresh revokes the presented row and inserts its successor with the same
`family_id`; the family keeps the expiry of its login (a 7-day absolute life:
refreshing does not extend it). The family id is the session's id for
clients: access tokens carry it as `sessionId`, so an access token stays
valid across a refresh until it expires, and ends with its session.
Presenting a refresh token that was already rotated means two parties hold
the family's tokens, so the whole family ends (reuse detection), unless it
was exchanged a moment ago and its successor is still current: then it is a
retry or a race of one client, answered with the same successor
(`refresh_grace`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from auth_tables.tables import SecurityEventType, Session
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.errors import InvalidRefreshToken
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.refresh_grace import successor_within_grace
from mana_core_auth.auth.revocation import ended_here
from mana_core_auth.observability import metrics
from mana_core_auth.security.session_keys import SessionKeys
from mana_core_auth.security.tokens import hash_token, new_refresh_token
from mana_core_auth.sql import fetch


@dataclass(frozen=True)
class IssuedSession:
    # The family id: what clients know as the session's id.
    id: uuid.UUID
    user_id: uuid.UUID
    device_id: str | None
    # Shown once, to the client; the database keeps only its hash.
    refresh_token: str
    # The family's end: no access token of it may outlive this.
    expires_at: datetime


SESSION_COLUMNS = (
    "id, user_id, family_id, refresh_token_hash, refresh_token_expires_at, "
    "ip_address, user_agent, device_id, device_name, last_activity_at, "
    "created_at, expires_at"
)


def insert_session_sql(first: int) -> str:
    """An insert of one session row, `NewSession.values` bound from `$first` on."""
    values = ", ".join(f"${first + i}" for i in range(12))
    return f"INSERT INTO auth.sessions ({SESSION_COLUMNS}) VALUES ({values})"  # noqa: S608 (constants and placeholders)


_INSERT_SESSION = insert_session_sql(1)


@dataclass(frozen=True)
class NewSession:
    issued: IssuedSession
    # The values of `SESSION_COLUMNS`, in order.
    values: tuple[Any, ...]


def new_session(
    *,
    user_id: uuid.UUID,
    device_id: str | None,
    device_name: str | None,
    client: ClientInfo,
    lifetime_seconds: int,
) -> NewSession:
    """The first row of a new session (a new family), not yet inserted."""
    now = datetime.now(UTC)
    return _session_row(
        session_id=uuid.uuid4(),
        family_id=uuid.uuid4(),
        user_id=user_id,
        device_id=device_id,
        device_name=device_name,
        client=client,
        expires_at=now + timedelta(seconds=lifetime_seconds),
        now=now,
        refresh_token=new_refresh_token(),
    )


def _session_row(
    *,
    session_id: uuid.UUID,
    family_id: uuid.UUID,
    user_id: uuid.UUID,
    device_id: str | None,
    device_name: str | None,
    client: ClientInfo,
    expires_at: datetime,
    now: datetime,
    refresh_token: str,
) -> NewSession:
    return NewSession(
        issued=IssuedSession(
            id=family_id,
            user_id=user_id,
            device_id=device_id,
            refresh_token=refresh_token,
            expires_at=expires_at,
        ),
        values=(
            session_id,
            user_id,
            family_id,
            hash_token(refresh_token),
            expires_at,
            client.ip_address,
            client.user_agent,
            device_id,
            device_name,
            now,
            now,
            expires_at,
        ),
    )


# The conditional update is what makes rotation single-use: of concurrent
# refreshes with one token, PostgreSQL lets exactly one match `revoked_at IS
# NULL`; the others wait for its row lock and then match nothing.
_CLAIM_FOR_ROTATION = """
UPDATE auth.sessions AS session
SET revoked_at = now(), replaced_by = $1, last_activity_at = now()
WHERE session.refresh_token_hash = $2
  AND session.revoked_at IS NULL
  AND session.refresh_token_expires_at > now()
  AND EXISTS (
      SELECT 1 FROM auth.users AS account
      WHERE account.id = session.user_id AND account.deleted_at IS NULL
  )
RETURNING session.user_id, session.family_id, session.device_id,
          session.device_name, session.expires_at
"""


@metrics.counts_outcome(metrics.REFRESHES)
async def rotate_session(
    refresh_token: str, client: ClientInfo, *, keys: SessionKeys, grace_seconds: int
) -> IssuedSession:
    """Exchange a refresh token for its successor; within `grace_seconds`
    of the exchange, while that successor is current, the same one again.

    :raises InvalidRefreshToken: if the token is unknown, expired, revoked,
        already rotated (then the whole family is revoked) or its user is
        deleted.
    """
    token_hash = hash_token(refresh_token)
    successor_id = uuid.uuid4()
    async with Session._meta.db.transaction():
        claimed = await fetch(_CLAIM_FOR_ROTATION, successor_id, token_hash)
        if claimed:
            old = claimed[0]
            successor = _session_row(
                session_id=successor_id,
                family_id=old["family_id"],
                user_id=old["user_id"],
                device_id=old["device_id"],
                device_name=old["device_name"],
                client=client,
                expires_at=old["expires_at"],
                now=datetime.now(UTC),
                refresh_token=keys.refresh_successor(refresh_token),
            )
            await fetch(_INSERT_SESSION, *successor.values)
            return successor.issued
    current = await successor_within_grace(refresh_token, keys, grace_seconds)
    if current is not None:
        return IssuedSession(
            id=current.family_id,
            user_id=current.user_id,
            device_id=current.device_id,
            refresh_token=current.refresh_token,
            expires_at=current.expires_at,
        )
    await _detect_reuse(token_hash, client)
    raise InvalidRefreshToken()


async def _detect_reuse(token_hash: str, client: ClientInfo) -> None:
    presented = (
        await Session.select(
            Session.id, Session.user.as_alias("user_id"), Session.family_id
        )
        .where(
            (Session.refresh_token_hash == token_hash)
            & Session.replaced_by.is_not_null()
        )
        .first()
    )
    if presented is None:
        return
    async with Session._meta.db.transaction():
        revoked = await (
            Session.update({Session.revoked_at: datetime.now(UTC)})
            .where(
                (Session.family_id == presented["family_id"])
                & Session.revoked_at.is_null()
            )
            .returning(Session.id)
        )
        ended_here(presented["user_id"])
        await record_event(
            SecurityEventType.refresh_token_reuse,
            user_id=presented["user_id"],
            client=client,
            session_id=str(presented["id"]),
            family_id=str(presented["family_id"]),
            revoked_sessions=len(revoked),
        )


async def revoke_session(session_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """End the user's session `session_id` (a family). False if the user has
    no live session with that id."""
    revoked = await (
        Session.update({Session.revoked_at: datetime.now(UTC)})
        .where(
            (Session.family_id == session_id)
            & (Session.user == user_id)
            & Session.revoked_at.is_null()
        )
        .returning(Session.id)
    )
    if revoked:
        ended_here(user_id)
    return bool(revoked)


async def revoke_user_sessions(
    user_id: uuid.UUID, *, keep: uuid.UUID | None = None
) -> int:
    """End every live session of the user, except session `keep`; how many
    ended."""
    where = (Session.user == user_id) & Session.revoked_at.is_null()
    if keep is not None:
        where &= Session.family_id != keep
    revoked = await (
        Session.update({Session.revoked_at: datetime.now(UTC)})
        .where(where)
        .returning(Session.id)
    )
    if revoked:
        ended_here(user_id)
    return len(revoked)


async def live_sessions(user_id: uuid.UUID) -> list[dict[str, Any]]:
    return await (
        Session.select(
            Session.family_id.as_alias("id"),
            Session.device_id,
            Session.device_name,
            Session.ip_address,
            Session.user_agent,
            Session.created_at,
            Session.last_activity_at,
            Session.expires_at,
        )
        .where(
            (Session.user == user_id)
            & Session.revoked_at.is_null()
            & (Session.expires_at > datetime.now(UTC))
        )
        .order_by(Session.last_activity_at, ascending=False)
    )
