"""Access tokens (signed JWTs) and refresh tokens (opaque, stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt

from mana_core_auth.security.keys import KeySet, algorithm_of
from mana_core_auth.settings import Settings

REFRESH_TOKEN_BYTES = 32  # 256 bits
LEEWAY_SECONDS = 5
VERIFIED_TOKENS_REMEMBERED = 4096


class InvalidToken(Exception):
    """The token is not one this service issued, or no longer valid."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    email: str
    role: str
    session_id: uuid.UUID
    device_id: str | None
    email_verified: bool
    expires_at: int
    raw: dict[str, Any]


class TokenService:
    def __init__(self, settings: Settings, keys: KeySet) -> None:
        self.keys = keys
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.access_ttl = settings.jwt_access_token_ttl_seconds
        # Apps send one access token many times during its life. A signature
        # once verified stays verified, so the verification is remembered;
        # expiry is still checked on every use, and failures are never cached.
        self._verified: Callable[[str], AccessClaims] = lru_cache(
            maxsize=VERIFIED_TOKENS_REMEMBERED
        )(self._verify)

    def issue_access_token(
        self,
        *,
        user_id: uuid.UUID,
        email: str,
        role: str,
        session_id: uuid.UUID,
        device_id: str | None,
        email_verified: bool,
        expires_at: int | None = None,
    ) -> str:
        """`expires_at` (epoch seconds) when sooner than the token lifetime."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "email": email,
            "role": role,
            "sessionId": str(session_id),
            "emailVerified": email_verified,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": expires_at if expires_at is not None else now + self.access_ttl,
            "jti": secrets.token_urlsafe(12),
        }
        if device_id:
            claims["deviceId"] = device_id
        return jwt.encode(
            claims,
            self.keys.signing_key,
            algorithm=self.keys.algorithm,
            headers={"kid": self.keys.signing_kid, "typ": "JWT"},
        )

    def decode_access_token(self, token: str) -> AccessClaims:
        """Verify signature, expiry, issuer and audience.

        The algorithm comes from the key named by `kid`, never from the token,
        so `alg=none` and HS256-with-the-public-key are refused.

        :raises InvalidToken: for anything that is not a valid access token.
        """
        claims = self._verified(token)
        if claims.expires_at + LEEWAY_SECONDS <= time.time():
            raise InvalidToken("Signature has expired")
        return claims

    def _verify(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
            key = self.keys.verification_keys.get(header.get("kid", ""))
            if key is None:
                raise InvalidToken("unknown signing key")
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm_of(key)],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud", "sessionId"]},
                leeway=LEEWAY_SECONDS,
            )
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                email=str(claims.get("email", "")),
                role=str(claims.get("role", "")),
                session_id=uuid.UUID(claims["sessionId"]),
                device_id=claims.get("deviceId"),
                email_verified=bool(claims.get("emailVerified", False)),
                expires_at=int(claims["exp"]),
                raw=claims,
            )
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError) as error:
            raise InvalidToken(str(error)) from error


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def hash_token(token: str) -> str:
    """SHA-256 hex of a high-entropy token; what the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()
