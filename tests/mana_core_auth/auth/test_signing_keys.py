"""Signing keys as apps see them: the JWKS, key rotation without logging
anyone out, RS256 for apps that need it."""

from __future__ import annotations

import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from mana_core_auth.security.keys import (
    KeySet,
    private_key_pem,
    public_jwk,
    public_key_pem,
)
from mana_core_auth.security.tokens import TokenService
from mana_core_auth.settings import Settings
from tests.mana_core_auth.auth.support import PASSWORD, Caller, bearer, register


async def test_tokens_verify_with_the_published_key(client, caller: Caller) -> None:
    jwks = (await client.get("/.well-known/jwks.json")).json()
    kid = jwt.get_unverified_header(caller.access_token)["kid"]
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == kid]
    public_key = jwt.PyJWK(jwk).key
    claims = jwt.decode(
        caller.access_token,
        public_key,
        algorithms=["EdDSA"],
        audience="manacore",
        issuer="manacore",
    )
    assert claims["sub"] == caller.id


async def test_rotated_key_keeps_its_tokens_working(
    client, limited_client, caller: Caller, tmp_path
) -> None:
    """After a new signing key is deployed with the old public key listed,
    tokens signed with the old key still work and both keys are published."""
    from main import app

    old_keys: KeySet = app.state.tokens.keys
    old_public = tmp_path / "old.pub.pem"
    old_public.write_bytes(public_key_pem(old_keys.signing_key.public_key()))
    new_key = ed25519.Ed25519PrivateKey.generate()
    async with limited_client(
        jwt_private_key=private_key_pem(new_key).decode(),
        jwt_previous_public_key_files=str(old_public),
    ) as rotated:
        kids = {
            key["kid"]
            for key in (await rotated.get("/.well-known/jwks.json")).json()["keys"]
        }
        assert kids == {old_keys.signing_kid, public_jwk(new_key.public_key())["kid"]}
        me = await rotated.get("/api/v1/auth/me", headers=caller.headers)
        assert me.status_code == 200
        fresh = await rotated.post(
            "/api/v1/auth/refresh", json={"refreshToken": caller.refresh_token}
        )
        new_token = fresh.json()["accessToken"]
        assert (
            jwt.get_unverified_header(new_token)["kid"]
            == public_jwk(new_key.public_key())["kid"]
        )
    # The old deployment does not know the new key.
    assert (
        await client.get("/api/v1/auth/me", headers=bearer(new_token))
    ).status_code == 401


async def test_rs256_can_be_chosen(client, limited_client) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    user = await register(client)
    async with limited_client(
        jwt_algorithm="RS256", jwt_private_key=private_key_pem(rsa_key).decode()
    ) as rs256:
        response = await rs256.post(
            "/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD}
        )
        token = response.json()["accessToken"]
        assert jwt.get_unverified_header(token)["alg"] == "RS256"
        assert (
            await rs256.get("/api/v1/auth/me", headers=bearer(token))
        ).status_code == 200
        (jwk,) = (await rs256.get("/.well-known/jwks.json")).json()["keys"]
        assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256"
        # An EdDSA token of the other deployment is not accepted here.
        eddsa = await client.post(
            "/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD}
        )
        other = bearer(eddsa.json()["accessToken"])
        assert (await rs256.get("/api/v1/auth/me", headers=other)).status_code == 401


def test_token_service_pins_the_algorithm_to_the_key() -> None:
    keys = KeySet(signing_key=ed25519.Ed25519PrivateKey.generate())
    service = TokenService(Settings(), keys)
    token = service.issue_access_token(
        user_id=uuid.uuid4(),
        email="a@example.com",
        role="user",
        session_id=uuid.uuid4(),
        device_id=None,
        email_verified=False,
    )
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": keys.signing_kid, "typ": "JWT"}
    assert service.decode_access_token(token).email == "a@example.com"
