"""Keys derived from TOTP_ENCRYPTION_KEY for refresh successors and device
tokens: stable for one key, different for another, separate per purpose."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from mana_core_auth.security.session_keys import SessionKeys, load_session_keys
from mana_core_auth.security.two_factor_keys import TwoFactorKeys
from mana_core_auth.settings import Settings


def test_a_successor_is_the_same_for_one_key_and_unguessable_without() -> None:
    key = Fernet.generate_key().decode()
    one, again = SessionKeys.from_key(key), SessionKeys.from_key(key)
    other = SessionKeys.from_key(Fernet.generate_key().decode())
    token = "presented-refresh-token"
    assert one.refresh_successor(token) == again.refresh_successor(token)
    assert one.refresh_successor(token) != other.refresh_successor(token)
    assert one.refresh_successor(token) != one.refresh_successor(token + "x")
    assert len(one.refresh_successor(token)) == 43  # 256 bits, url-safe base64


def test_each_purpose_has_its_own_key() -> None:
    key = Fernet.generate_key().decode()
    session, two_factor = SessionKeys.from_key(key), TwoFactorKeys.from_key(key)
    keys = {
        session.refresh_successor_key,
        session.device_token_key,
        two_factor.backup_code_key,
        two_factor.challenge_key,
    }
    assert len(keys) == 4


def test_development_keys_survive_a_restart(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, totp_encryption_key=None)
    assert load_session_keys(settings) == load_session_keys(settings)
