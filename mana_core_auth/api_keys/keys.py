"""Making, recognising and hashing API keys.

A key is its kind's prefix and 52 random base62 characters (309 bits):
`mk_svc_…` for service keys, `mk_live_…` for personal keys. Not the
original's `sk_live_`: secret scanners and people read that as a Stripe
secret key, and the original's keys cannot be carried over anyway (they
were stored as plain SHA-256). The prefix plus the first 8 random
characters are shown in lists; the remaining 44 (261 bits) stay secret.

Only HMAC-SHA256 of the whole key under a server key is stored: a leaked
table alone can neither be used nor checked against guesses offline. The
server key is derived (HKDF) from `TOTP_ENCRYPTION_KEY`, the service's one
symmetric secret, which production already requires; changing that
secret makes every API key unknown.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass, field

from auth_tables.tables import ApiKeyKind
from mana_core_auth.security.two_factor_keys import derive_from_configured_key
from mana_core_auth.settings import Settings

PREFIXES = {ApiKeyKind.service: "mk_svc_", ApiKeyKind.personal: "mk_live_"}
ALPHABET = string.ascii_letters + string.digits
RANDOM_CHARACTERS = 52
SHOWN_CHARACTERS = 8

_KEY = re.compile(
    "(?P<prefix>"
    + "|".join(re.escape(prefix) for prefix in PREFIXES.values())
    + f")[{ALPHABET}]{{{RANDOM_CHARACTERS}}}"
)
_KIND_BY_PREFIX = {prefix: kind for kind, prefix in PREFIXES.items()}


@dataclass(frozen=True)
class NewKey:
    key: str = field(repr=False)
    prefix: str


def generate_key(kind: ApiKeyKind) -> NewKey:
    random = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARACTERS))
    key = PREFIXES[kind] + random
    return NewKey(key=key, prefix=shown_prefix(key))


def shown_prefix(key: str) -> str:
    """What lists show of a key: its kind's prefix and 8 random characters."""
    kind = looks_like_key(key)
    assert kind is not None
    return key[: len(PREFIXES[kind]) + SHOWN_CHARACTERS]


def looks_like_key(text: str) -> ApiKeyKind | None:
    """The kind of key `text` claims to be, by its prefix alone: such a
    bearer credential is an API key (never decoded as a JWT), well-formed
    or not."""
    for prefix, kind in _KIND_BY_PREFIX.items():
        if text.startswith(prefix):
            return kind
    return None


def parse_key(text: str) -> ApiKeyKind | None:
    """The kind of a well-formed key, or None."""
    match = _KEY.fullmatch(text)
    return _KIND_BY_PREFIX[match["prefix"]] if match else None


@dataclass(frozen=True)
class KeyHasher:
    secret: bytes = field(repr=False)

    def digest(self, key: str) -> str:
        """HMAC-SHA256 hex of a well-formed key (`parse_key`)."""
        return hmac.new(self.secret, key.encode("ascii"), hashlib.sha256).hexdigest()


def load_key_hasher(settings: Settings) -> KeyHasher:
    return KeyHasher(derive_from_configured_key(settings, b"api key hashes"))
