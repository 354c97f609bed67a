"""Settings refuse insecure defaults outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mana_core_auth.settings import Environment, Settings


def test_development_runs_with_no_settings_at_all() -> None:
    settings = Settings(_env_file=None, environment=Environment.development)
    assert settings.uses_embedded_database or settings.database_url


def test_production_refuses_to_start_without_its_secrets() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(
            _env_file=None,
            environment=Environment.production,
            database_url=None,
            jwt_private_key=None,
            jwt_private_key_file=None,
            admin_allowed_hosts=[],
        )
    message = str(error.value)
    for name in ("DATABASE_URL", "JWT_PRIVATE_KEY", "ADMIN_ALLOWED_HOSTS"):
        assert name in message


def test_lists_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    settings = Settings(_env_file=None)
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, jwt_algorithm="HS256")


def test_production_refuses_to_start_without_a_totp_encryption_key() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(
            _env_file=None,
            environment=Environment.production,
            database_url="postgresql://db/mana",
            jwt_private_key="-----BEGIN PRIVATE KEY-----",
            admin_allowed_hosts=["auth.example.com"],
            totp_encryption_key=None,
        )
    assert "TOTP_ENCRYPTION_KEY" in str(error.value)


def test_a_malformed_totp_encryption_key_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, totp_encryption_key="not-a-fernet-key")
    assert "TOTP_ENCRYPTION_KEY" in str(error.value)


def test_public_urls_are_read_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URLS", '{"chat": "https://chat.example"}')
    settings = Settings(_env_file=None)
    assert settings.public_urls == {"chat": "https://chat.example"}
    with pytest.raises(ValidationError):
        Settings(_env_file=None, public_urls={"chat": "javascript:alert(1)"})
