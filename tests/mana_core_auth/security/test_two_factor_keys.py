"""The two-factor keys: a development key made once and kept, encryption
that only the right key undoes, keyed backup-code digests."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from mana_core_auth.security.two_factor_keys import (
    DEVELOPMENT_KEY_FILE,
    TwoFactorKeys,
    load_two_factor_keys,
)
from mana_core_auth.settings import Settings


def test_development_key_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, totp_encryption_key=None)
    first = load_two_factor_keys(settings)
    key_file = tmp_path / DEVELOPMENT_KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    second = load_two_factor_keys(settings)
    assert second.decrypt(first.encrypt("JBSWY3DPEHPK3PXP")) == "JBSWY3DPEHPK3PXP"


def test_only_the_right_key_decrypts_and_digests_are_keyed() -> None:
    one = TwoFactorKeys.from_key(Fernet.generate_key().decode())
    other = TwoFactorKeys.from_key(Fernet.generate_key().decode())
    stored = one.encrypt("JBSWY3DPEHPK3PXP")
    with pytest.raises(ValueError):
        other.decrypt(stored)
    assert one.backup_code_digest("abcde23456") != other.backup_code_digest(
        "abcde23456"
    )
    assert one.challenge_key != one.backup_code_key
