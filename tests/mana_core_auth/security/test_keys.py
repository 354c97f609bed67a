"""Where signing keys come from."""

from __future__ import annotations

import stat

from mana_core_auth.commands.generate_keys import generate_keys
from mana_core_auth.security.keys import load_key_set
from mana_core_auth.settings import Settings


def test_development_key_is_made_once_and_kept(tmp_path) -> None:
    settings = Settings(
        environment="development", jwt_private_key=None, data_dir=tmp_path
    )
    first = load_key_set(settings)
    second = load_key_set(settings)
    assert first.signing_kid == second.signing_kid
    (key_file,) = tmp_path.glob("jwt-signing-key-*.pem")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_generated_production_key_loads_from_a_file(tmp_path, capsys) -> None:
    private = tmp_path / "jwt.pem"
    generate_keys(out=str(private))
    keys = load_key_set(Settings(jwt_private_key=None, jwt_private_key_file=private))
    assert keys.algorithm == "EdDSA"
    assert keys.signing_kid in capsys.readouterr().out
    assert (tmp_path / "jwt.pub.pem").exists()
