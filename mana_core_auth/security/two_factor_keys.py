"""The keys of two-factor authentication, all from one secret.

`TOTP_ENCRYPTION_KEY` (a Fernet key) encrypts TOTP secrets at rest. Two more
keys are derived from it (HKDF) so that operators manage one secret: one
keys the digests of backup codes (a leaked table alone cannot be brute-forced
offline), one signs login challenges. In development and tests without a
configured key, one is generated once and kept in `data_dir`, like the JWT
signing key; production refuses to start without one (settings).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mana_core_auth.security.key_files import read_or_create
from mana_core_auth.settings import Settings

DEVELOPMENT_KEY_FILE = "totp-encryption.key"


def derive_key(master: bytes, purpose: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"mana-core-auth " + purpose,
    ).derive(master)


@dataclass(frozen=True)
class TwoFactorKeys:
    fernet: Fernet
    backup_code_key: bytes
    challenge_key: bytes

    @classmethod
    def from_key(cls, key: str) -> TwoFactorKeys:
        master = base64.urlsafe_b64decode(key.encode())
        return cls(
            fernet=Fernet(key.encode()),
            backup_code_key=derive_key(master, b"backup codes"),
            challenge_key=derive_key(master, b"login challenges"),
        )

    def encrypt(self, secret: str) -> str:
        return self.fernet.encrypt(secret.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """:raises ValueError: if `stored` was not encrypted with this key."""
        try:
            return self.fernet.decrypt(stored.encode()).decode()
        except InvalidToken as error:
            raise ValueError("TOTP secret does not decrypt with this key") from error

    def backup_code_digest(self, normalized_code: str) -> str:
        return hmac.new(
            self.backup_code_key, normalized_code.encode(), hashlib.sha256
        ).hexdigest()


def configured_key(settings: Settings) -> str:
    """`TOTP_ENCRYPTION_KEY`, or the development key kept in `data_dir`."""
    if settings.totp_encryption_key is not None:
        return settings.totp_encryption_key.get_secret_value()
    return (
        read_or_create(settings.data_dir / DEVELOPMENT_KEY_FILE, Fernet.generate_key)
        .decode()
        .strip()
    )


def load_two_factor_keys(settings: Settings) -> TwoFactorKeys:
    return TwoFactorKeys.from_key(configured_key(settings))


def derive_from_configured_key(settings: Settings, purpose: bytes) -> bytes:
    """A 32-byte key for `purpose` (e.g. API-key hashes), derived from the
    configured key, so that operators keep one secret."""
    return derive_key(
        base64.urlsafe_b64decode(configured_key(settings).encode()), purpose
    )
