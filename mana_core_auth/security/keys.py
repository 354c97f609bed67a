"""Signing keys for access tokens and the JWKS that publishes them.

The private key comes from `JWT_PRIVATE_KEY` (PEM) or `JWT_PRIVATE_KEY_FILE`.
In development and tests without one, a key is generated once and kept in
`data_dir` so tokens survive restarts. Public keys listed in
`JWT_PREVIOUS_PUBLIC_KEY_FILES` stay published (and accepted) while tokens
signed with them may still be alive: that is how keys rotate without logging
anyone out.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from mana_core_auth.security.key_files import read_or_create
from mana_core_auth.settings import Settings

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey


def generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return ed25519.Ed25519PrivateKey.generate()


def private_key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_jwk(key: PublicKey) -> dict[str, Any]:
    """The public key as a JWK, with `kid` = its RFC 7638 thumbprint."""
    if isinstance(key, rsa.RSAPublicKey):
        jwk = json.loads(RSAAlgorithm.to_jwk(key))
        alg, required = "RS256", ("e", "kty", "n")
    else:
        jwk = json.loads(OKPAlgorithm.to_jwk(key))
        alg, required = "EdDSA", ("crv", "kty", "x")
    canonical = json.dumps(
        {name: jwk[name] for name in required}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    jwk["kid"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    jwk["alg"] = alg
    jwk["use"] = "sig"
    return jwk


def algorithm_of(key: PublicKey | PrivateKey) -> str:
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return "RS256"
    return "EdDSA"


@dataclass(frozen=True)
class KeySet:
    signing_key: PrivateKey
    previous_public_keys: list[PublicKey] = field(default_factory=list)

    @cached_property
    def algorithm(self) -> str:
        return algorithm_of(self.signing_key)

    @cached_property
    def signing_kid(self) -> str:
        kid: str = public_jwk(self.signing_key.public_key())["kid"]
        return kid

    @cached_property
    def verification_keys(self) -> dict[str, PublicKey]:
        """Public keys by `kid`: the current one and the previous ones."""
        keys = [self.signing_key.public_key(), *self.previous_public_keys]
        return {public_jwk(key)["kid"]: key for key in keys}

    @cached_property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(key) for key in self.verification_keys.values()]}


def _load_private_key(pem: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
        raise ValueError("JWT private key must be Ed25519 or RSA")
    return key


def _load_public_key(pem: bytes) -> PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
        raise ValueError("JWT public keys must be Ed25519 or RSA")
    return key


def load_key_set(settings: Settings) -> KeySet:
    if settings.jwt_private_key is not None:
        signing_key = _load_private_key(
            settings.jwt_private_key.get_secret_value().encode()
        )
    elif settings.jwt_private_key_file is not None:
        signing_key = _load_private_key(settings.jwt_private_key_file.read_bytes())
    else:
        # Production refuses to start without a configured key (settings).
        suffix = "rsa" if settings.jwt_algorithm == "RS256" else "ed25519"
        path = settings.data_dir / f"jwt-signing-key-{suffix}.pem"
        signing_key = _load_private_key(
            read_or_create(
                path,
                lambda: private_key_pem(generate_private_key(settings.jwt_algorithm)),
            )
        )
    if algorithm_of(signing_key) != settings.jwt_algorithm:
        raise ValueError(
            f"JWT_ALGORITHM is {settings.jwt_algorithm} but the private key is "
            f"for {algorithm_of(signing_key)}"
        )
    previous = [
        _load_public_key(path.read_bytes())
        for path in settings.jwt_previous_public_key_files
    ]
    return KeySet(signing_key=signing_key, previous_public_keys=previous)
