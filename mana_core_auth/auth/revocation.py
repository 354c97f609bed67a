"""Which sessions have ended, pushed to every worker by PostgreSQL, so that
checking an access token's session costs no query.

Triggers on `auth.sessions` and `auth.users` (migration
`auth_2026_12_03t11_44_56_092919`) send a notification on the channel
`mana_sessions` when a session family ends (revoked, deleted, expiry moved
into the past) or comes back (an operator clears `revoked_at`), and when a
user is deleted or restored. Each worker holds one listening connection and
keeps in memory the families and users that ended within the last access
token lifetime: older tokens have expired on their own. A token of anything
not in that set belongs to a live session.

Staleness is the notification's way from commit to the other workers (a few
milliseconds; `tests/mana_core_auth/auth/test_revocation.py` measures it).
The watch answers "don't know" (and the caller asks the database) whenever
it cannot vouch for its set:
- until it listens and has read the ended sessions of the window;
- from the moment its connection is lost until it has listened again and
  re-read them (notifications sent in between never reached it);
- when a ping it sends itself through the channel every
  `HEARTBEAT_SECONDS` does not come back within `PING_TIMEOUT_SECONDS`
  (a silently dead connection, or a pooler that does not carry LISTEN);
- for `RECHECK_SECONDS` after this process itself ended a user's sessions
  (`ended_here`), because the notification of its own commit may arrive
  after the client's next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable

import asyncpg

from mana_core_auth.security.tokens import AccessClaims
from mana_core_auth.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "mana_sessions"
HEARTBEAT_SECONDS = 5.0
PING_TIMEOUT_SECONDS = 2.0
RECHECK_SECONDS = 10.0
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)
# Beyond the token lifetime: clock leeway, the refresh grace (which issues a
# token for a family without a new row) and a margin.
WINDOW_MARGIN_SECONDS = 120

# Families with a row created within the window (so a token of theirs may
# still be valid) that have no live row, and deleted users with such rows.
_ENDED_WITHIN_WINDOW = """
SELECT 'family' AS kind, family_id AS id
FROM auth.sessions
WHERE family_id IN (
    SELECT family_id FROM auth.sessions
    WHERE created_at > now() - make_interval(secs => $1::int)
)
GROUP BY family_id
HAVING NOT bool_or(revoked_at IS NULL AND expires_at > now())
UNION ALL
SELECT 'user', account.id
FROM auth.users AS account
WHERE account.deleted_at IS NOT NULL AND EXISTS (
    SELECT 1 FROM auth.sessions AS session
    WHERE session.user_id = account.id
      AND session.created_at > now() - make_interval(secs => $1::int)
)
"""

_watches: weakref.WeakSet[RevocationWatch] = weakref.WeakSet()


def window_seconds(settings: Settings) -> int:
    """How long an ended session is remembered: as long as a token of it
    may still be valid."""
    return (
        settings.jwt_access_token_ttl_seconds
        + settings.refresh_reuse_grace_seconds
        + WINDOW_MARGIN_SECONDS
    )


async def listening_connection(url: str) -> asyncpg.Connection:
    """A connection of its own, outside the pool (LISTEN is session state)
    and past any transaction-pooling pgbouncer (the migration URL, which
    reaches PostgreSQL directly)."""
    return await asyncpg.connect(
        url,
        timeout=10,
        server_settings={"application_name": "mana-core-auth-revocations"},
    )


async def _opened_despite_cancellation(
    connect: Callable[[], Awaitable[asyncpg.Connection]],
) -> asyncpg.Connection:
    """`connect()`, which a cancellation does not interrupt: it waits up to
    `PING_TIMEOUT_SECONDS` for the connection, closes it and goes on.

    asyncpg leaves an error nobody retrieves when a connect is cancelled
    during its TLS negotiation (sslmode=prefer, the default), as happened
    to a worker stopped moments after its start (MagicStack/asyncpg#1211).
    """
    opening = asyncio.ensure_future(connect())
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                connection = await opening
            connection.terminate()
        raise


def ended_here(user_id: uuid.UUID) -> None:
    """This process just ended sessions of `user_id`: until the notification
    of it has surely arrived, every watch here asks the database about them."""
    for watch in list(_watches):
        watch.recheck(user_id)


class RevocationWatch:
    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        *,
        window_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connect = connect
        self.window_seconds = window_seconds
        self._clock = clock
        # When each ended family or user was learnt of: kept one window.
        self._families: dict[uuid.UUID, float] = {}
        self._users: dict[uuid.UUID, float] = {}
        self._recheck: dict[uuid.UUID, float] = {}
        # Notifications arriving while the ended rows are read, to apply after them.
        self._held: list[str] | None = None
        self._connection: asyncpg.Connection | None = None
        self._ping_token = uuid.uuid4().hex
        self._pong = asyncio.Event()
        self.ready = False
        _watches.add(self)

    def is_live(self, claims: AccessClaims) -> bool | None:
        """Whether the token's session is live; None when this watch cannot
        tell, and the database must."""
        if not self.ready:
            return None
        since = self._recheck.get(claims.user_id)
        if since is not None:
            if self._clock() - since < RECHECK_SECONDS:
                return None
            del self._recheck[claims.user_id]
        return (
            claims.session_id not in self._families
            and claims.user_id not in self._users
        )

    def recheck(self, user_id: uuid.UUID) -> None:
        self._recheck[user_id] = self._clock()

    # ------------------------------------------------------------ notifications
    def _on_notification(
        self, _connection: object, _pid: int, _channel: str, payload: str
    ) -> None:
        if self._held is not None and not payload.startswith("ping:"):
            self._held.append(payload)
            return
        self._apply(payload)

    def _apply(self, payload: str) -> None:
        kind, _, rest = payload.partition(":")
        ident, _, state = rest.partition(":")
        if kind == "ping":
            if ident == self._ping_token:
                self._pong.set()
            return
        entries = {"family": self._families, "user": self._users}.get(kind)
        if entries is None:
            return
        try:
            key = uuid.UUID(ident)
        except ValueError:
            return
        if state == "ended":
            entries[key] = self._clock()
        else:
            entries.pop(key, None)

    def _forget_old(self) -> None:
        now = self._clock()
        for entries, keep in (
            (self._families, self.window_seconds),
            (self._users, self.window_seconds),
            (self._recheck, RECHECK_SECONDS),
        ):
            for key in [key for key, since in entries.items() if now - since > keep]:
                del entries[key]

    # ------------------------------------------------------------ the connection
    async def run(self) -> None:
        """Listen until cancelled, reconnecting after a failure."""
        failures = 0
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failures = 1 if self.ready else failures + 1
                delay = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS)) - 1]
                logger.warning(
                    "session revocation listener lost (%s); sessions are checked "
                    "in the database until it is back, reconnecting in %.1f s",
                    type(error).__name__,
                    delay,
                )
            finally:
                await self._disconnect()
            await asyncio.sleep(delay)

    async def _listen(self) -> None:
        """Listen and serve from the set until the connection fails.

        :raises Exception: always, when it does.
        """
        lost = asyncio.Event()
        self._connection = connection = await _opened_despite_cancellation(
            self._connect
        )
        connection.add_termination_listener(lambda _connection: lost.set())
        # Listening before reading: a session ending meanwhile is among the
        # held notifications, applied after the rows in commit order.
        self._held = []
        await connection.add_listener(CHANNEL, self._on_notification)
        rows = await connection.fetch(_ENDED_WITHIN_WINDOW, self.window_seconds)
        now = self._clock()
        self._families = {row["id"]: now for row in rows if row["kind"] == "family"}
        self._users = {row["id"]: now for row in rows if row["kind"] == "user"}
        held, self._held = self._held, None
        for payload in held:
            self._apply(payload)
        await self._ping(connection)
        self.ready = True
        logger.info("session revocation listener ready")
        while True:
            # asyncio.timeout rather than wait_for: on Python 3.11 wait_for
            # can swallow a cancellation that meets its own timeout, which
            # kept a worker's shutdown waiting for another heartbeat.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HEARTBEAT_SECONDS):
                    await lost.wait()
            if lost.is_set():
                raise ConnectionError("the listening connection closed")
            self._forget_old()
            await self._ping(connection)

    async def _ping(self, connection: asyncpg.Connection) -> None:
        """:raises TimeoutError: unless a notification sent now comes back."""
        self._pong.clear()
        await connection.execute(
            f"NOTIFY {CHANNEL}, 'ping:{self._ping_token}'",
            timeout=PING_TIMEOUT_SECONDS,
        )
        async with asyncio.timeout(PING_TIMEOUT_SECONDS):
            await self._pong.wait()

    async def _disconnect(self) -> None:
        self.ready = False
        self._held = None
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                await connection.close()
        except Exception:
            connection.terminate()
