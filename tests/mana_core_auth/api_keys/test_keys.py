"""What a key looks like, and that only a keyed hash of it is stored."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

from cryptography.fernet import Fernet

from auth_tables.tables import ApiKeyKind
from mana_core_auth.api_keys.keys import (
    ALPHABET,
    RANDOM_CHARACTERS,
    SHOWN_CHARACTERS,
    KeyHasher,
    generate_key,
    load_key_hasher,
    looks_like_key,
    parse_key,
)
from mana_core_auth.settings import Settings


def test_keys_carry_their_kind_and_at_least_256_secret_bits() -> None:
    service = generate_key(ApiKeyKind.service)
    personal = generate_key(ApiKeyKind.personal)
    assert service.key.startswith("mk_svc_") and personal.key.startswith("mk_live_")
    assert parse_key(service.key) is ApiKeyKind.service
    assert parse_key(personal.key) is ApiKeyKind.personal
    hidden = RANDOM_CHARACTERS - SHOWN_CHARACTERS
    assert hidden * math.log2(len(ALPHABET)) >= 256
    assert service.prefix == service.key[: len("mk_svc_") + SHOWN_CHARACTERS]
    assert len({generate_key(ApiKeyKind.service).key for _ in range(1000)}) == 1000


def test_a_new_key_is_not_in_its_repr() -> None:
    new = generate_key(ApiKeyKind.personal)
    assert new.key not in repr(new)


def test_only_well_formed_keys_parse() -> None:
    key = generate_key(ApiKeyKind.service).key
    for text in (
        key[:-1],
        key + "a",
        key[:-1] + "-",
        "sk_live_" + key[len("mk_svc_") :],
        "eyJhbGciOiJFZERTQSJ9.e30.sig",
        "",
    ):
        assert parse_key(text) is None, text
    assert looks_like_key(key[:-1]) is ApiKeyKind.service
    assert looks_like_key("eyJhbGciOiJFZERTQSJ9.e30.sig") is None


def test_the_stored_hash_is_keyed() -> None:
    key = generate_key(ApiKeyKind.service).key
    one, other = KeyHasher(b"a" * 32), KeyHasher(b"b" * 32)
    assert one.digest(key) == one.digest(key)
    assert one.digest(key) != other.digest(key)
    assert one.digest(key) != hashlib.sha256(key.encode()).hexdigest()


def test_the_hash_key_is_derived_from_the_configured_secret(tmp_path: Path) -> None:
    key = generate_key(ApiKeyKind.personal).key
    first = Settings(_env_file=None, totp_encryption_key=Fernet.generate_key().decode())
    second = Settings(
        _env_file=None, totp_encryption_key=Fernet.generate_key().decode()
    )
    assert load_key_hasher(first).digest(key) == load_key_hasher(first).digest(key)
    assert load_key_hasher(first).digest(key) != load_key_hasher(second).digest(key)
    development = Settings(_env_file=None, data_dir=tmp_path, totp_encryption_key=None)
    assert load_key_hasher(development).digest(key) == load_key_hasher(
        development
    ).digest(key)
