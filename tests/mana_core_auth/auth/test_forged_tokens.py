"""Tokens this service did not issue, or no longer accepts, are refused by
protected routes (401) and by /auth/validate (valid: false)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from mana_core_auth.security.keys import KeySet, load_key_set, public_key_pem
from mana_core_auth.security.tokens import InvalidToken, TokenService
from mana_core_auth.settings import Settings, get_settings
from tests.mana_core_auth.auth.support import Caller, bearer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    return header, claims


def _unsigned(token: str) -> str:
    header, claims = _unverified(token)
    header["alg"] = "none"
    parts = [_b64(json.dumps(part).encode()) for part in (header, claims)]
    return ".".join([*parts, ""])


def _hs256_with_public_key(keys: KeySet) -> Callable[[str], str]:
    def forge(token: str) -> str:
        header, claims = _unverified(token)
        header["alg"] = "HS256"
        signing_input = ".".join(
            _b64(json.dumps(part).encode()) for part in (header, claims)
        )
        secret = public_key_pem(keys.signing_key.public_key())
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    return forge


def _flipped_signature(token: str) -> str:
    signing_input, signature = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    return f"{signing_input}.{_b64(bytes(raw))}"


def _reissued(keys: KeySet, **overrides: Any) -> Callable[[str], str]:
    """The same session's token, signed with the real key but issued under
    other settings (expired, another audience or issuer)."""

    def forge(token: str) -> str:
        _, claims = _unverified(token)
        service = TokenService(Settings(**overrides), keys)
        return service.issue_access_token(
            user_id=claims["sub"],
            email=claims["email"],
            role=claims["role"],
            session_id=claims["sessionId"],
            device_id=None,
            email_verified=False,
        )

    return forge


def _other_key_same_kid(keys: KeySet) -> Callable[[str], str]:
    def forge(token: str) -> str:
        header, claims = _unverified(token)
        return jwt.encode(
            claims,
            ed25519.Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": header["kid"]},
        )

    return forge


def _admin_role(keys: KeySet) -> Callable[[str], str]:
    """Claims edited after signing (role raised), signature kept."""

    def forge(token: str) -> str:
        header_part, _, signature = token.split(".")
        _, claims = _unverified(token)
        claims["role"] = "admin"
        return f"{header_part}.{_b64(json.dumps(claims).encode())}.{signature}"

    return forge


FORGERIES = {
    "alg=none": lambda keys: _unsigned,
    "HS256 signed with the public key": _hs256_with_public_key,
    "flipped signature": lambda keys: _flipped_signature,
    "expired": lambda keys: _reissued(keys, jwt_access_token_ttl_seconds=-3600),
    "wrong audience": lambda keys: _reissued(keys, jwt_audience="another-app"),
    "wrong issuer": lambda keys: _reissued(keys, jwt_issuer="someone-else"),
    "another key with the real kid": _other_key_same_kid,
    "claims edited after signing": _admin_role,
}


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_forged_access_tokens_are_refused(
    client, caller: Caller, forgery: str
) -> None:
    from main import app

    keys: KeySet = app.state.tokens.keys
    forged = FORGERIES[forgery](keys)(caller.access_token)
    assert forged != caller.access_token

    me = await client.get("/api/v1/auth/me", headers=bearer(forged))
    assert me.status_code == 401, forgery
    assert me.json()["code"] == "UNAUTHORIZED"
    validated = await client.post("/api/v1/auth/validate", json={"token": forged})
    assert validated.status_code == 200
    assert validated.json()["valid"] is False
    # The genuine token still works: the forgeries were refused on their own.
    genuine = await client.get("/api/v1/auth/me", headers=caller.headers)
    assert genuine.status_code == 200


async def test_refresh_token_is_not_an_access_token(client, caller: Caller) -> None:
    me = await client.get("/api/v1/auth/me", headers=bearer(caller.refresh_token))
    assert me.status_code == 401
    validated = await client.post(
        "/api/v1/auth/validate", json={"token": caller.refresh_token}
    )
    assert validated.json()["valid"] is False


async def test_access_token_is_not_a_refresh_token(client, caller: Caller) -> None:
    response = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": caller.access_token}
    )
    assert response.status_code == 401


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    tokens = TokenService(settings, load_key_set(settings))
    token = tokens.issue_access_token(
        user_id=uuid.uuid4(),
        email="someone@example.com",
        role="user",
        session_id=uuid.uuid4(),
        device_id=None,
        email_verified=False,
    )
    assert tokens.decode_access_token(token).email == "someone@example.com"
    later = time.time() + tokens.access_ttl + 60
    monkeypatch.setattr("mana_core_auth.security.tokens.time.time", lambda: later)
    with pytest.raises(InvalidToken):
        tokens.decode_access_token(token)
