"""The short-lived proof, handed out by a login, that a user with two-factor
authentication typed the right password; `/auth/2fa/verify` exchanges it
and a code for a session.

An HS256 JWT under a key derived from `TOTP_ENCRYPTION_KEY`: the JWKS cannot
verify it and its audience is not the access tokens', so no app mistakes it
for an access token.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from mana_core_auth.auth.errors import InvalidTwoFactorChallenge
from mana_core_auth.security.two_factor_keys import TwoFactorKeys

AUDIENCE = "mana-core-auth:2fa-challenge"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Challenge:
    user_id: uuid.UUID
    device_id: str | None
    device_name: str | None
    # The password step came from this known device (`known_devices`).
    known_device: str | None = None


def issue_challenge(
    keys: TwoFactorKeys,
    *,
    user_id: uuid.UUID,
    device_id: str | None,
    device_name: str | None,
    ttl_seconds: int,
    known_device: str | None = None,
) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_seconds,
        "deviceId": device_id,
        "deviceName": device_name,
        "knownDevice": known_device,
    }
    return jwt.encode(claims, keys.challenge_key, algorithm=ALGORITHM)


def read_challenge(keys: TwoFactorKeys, token: str) -> Challenge:
    """:raises InvalidTwoFactorChallenge: forged, expired or malformed."""
    try:
        claims = jwt.decode(
            token,
            keys.challenge_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "aud", "exp"]},
        )
        return Challenge(
            user_id=uuid.UUID(claims["sub"]),
            device_id=claims.get("deviceId"),
            device_name=claims.get("deviceName"),
            known_device=claims.get("knownDevice"),
        )
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise InvalidTwoFactorChallenge() from error
