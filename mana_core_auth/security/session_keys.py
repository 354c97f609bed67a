"""Server-side keys of the session machinery: one makes a refresh token's
successor from the token itself, one signs device tokens.

Both are derived (HKDF-SHA256, each with its own `info`) from
`TOTP_ENCRYPTION_KEY`, as the backup-code and challenge keys are, rather
than from the JWT signing key: that one is meant to be rotated (and its
public half is published), while these must stay the same for as long as
the tokens they made are alive, on every worker and replica. The TOTP key
is the service's one stable symmetric secret: required in production, never
rotated (rotating it would lock out every two-factor user), kept in
`data_dir` in development.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from mana_core_auth.security.two_factor_keys import configured_key, derive_key
from mana_core_auth.settings import Settings


@dataclass(frozen=True)
class SessionKeys:
    refresh_successor_key: bytes
    device_token_key: bytes

    @classmethod
    def from_key(cls, key: str) -> SessionKeys:
        master = base64.urlsafe_b64decode(key.encode())
        return cls(
            refresh_successor_key=derive_key(master, b"refresh token successors"),
            device_token_key=derive_key(master, b"device tokens"),
        )

    def refresh_successor(self, refresh_token: str) -> str:
        """The refresh token that follows `refresh_token`: 256 bits, unguessable
        without the key, and the same each time, so a refresh that is
        retried (or raced) within the grace window can be answered with the
        successor again although only its hash is stored."""
        digest = hmac.new(
            self.refresh_successor_key, refresh_token.encode(), hashlib.sha256
        ).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def load_session_keys(settings: Settings) -> SessionKeys:
    return SessionKeys.from_key(configured_key(settings))
