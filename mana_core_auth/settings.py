"""Typed settings, read once from the environment (and `.env`)."""

from __future__ import annotations

import base64
import binascii
import os
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(str, Enum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = Environment.development
    host: str = "127.0.0.1"
    port: int = 3001
    log_level: str = "info"

    # Unset: an embedded PostgreSQL is started with its data under data_dir.
    database_url: str | None = None
    # Migrations bypass pgbouncer; falls back to database_url.
    migration_database_url: str | None = None
    data_dir: Path = Path(".data")
    database_pool_min: int = 1
    database_pool_max: int = 10
    # 0 behind pgbouncer in transaction pooling mode (asyncpg prepared statements).
    database_statement_cache_size: int = 100
    database_statement_timeout_ms: int = 10_000
    database_lock_timeout_ms: int = 5_000

    # uvicorn worker processes; by default one per CPU this process may use.
    web_concurrency: int = Field(default_factory=lambda: len(os.sched_getaffinity(0)))
    forwarded_allow_ips: str = "127.0.0.1"
    # Total bytes of a request's header lines; more answers 431. 0: no limit
    # here (a proxy in front enforces one).
    max_header_bytes: int = Field(default=16 * 1024, ge=0)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    admin_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    jwt_algorithm: str = "EdDSA"
    jwt_private_key: SecretStr | None = None
    jwt_private_key_file: Path | None = None
    # Previous public keys (PEM files) still published in the JWKS during rotation.
    jwt_previous_public_key_files: Annotated[list[Path], NoDecode] = Field(
        default_factory=list
    )
    jwt_issuer: str = "manacore"
    jwt_audience: str = "manacore"
    jwt_access_token_ttl_seconds: int = 900
    jwt_refresh_token_ttl_seconds: int = 7 * 24 * 3600
    # A refresh token exchanged less than this ago, whose successor is still
    # current, answers that successor again (concurrent tabs, retries);
    # 0: every reuse ends the session.
    refresh_reuse_grace_seconds: int = Field(default=10, ge=0)

    rate_limit_login_failures_per_account: int = 10
    rate_limit_login_failures_per_ip: int = 50
    # A client with a device token from an earlier login to the account
    # counts failures against this instead of the account's limit.
    rate_limit_login_failures_per_device: int = 10
    device_token_ttl_seconds: int = 180 * 24 * 3600
    rate_limit_login_window_seconds: int = 900
    rate_limit_register_per_ip: int = 20
    rate_limit_register_window_seconds: int = 3600

    # API keys: personal keys per user, and each personal key's rate limit.
    api_keys_per_user: int = Field(default=10, ge=0)
    api_key_rate_limit_requests: int = Field(default=1000, ge=1)
    api_key_rate_limit_window_seconds: int = Field(default=3600, ge=1)
    # Wrong admin logins (password or two-factor code) per admin username and
    # per client IP (IPv6 per /64), in PostgreSQL like the API's limits.
    admin_login_failures_per_username: int = 5
    admin_login_failures_per_ip: int = 20
    admin_login_window_seconds: int = 900
    # Admins must log in with a TOTP code; unset: required in production only.
    admin_require_two_factor: bool | None = None

    credits_signup_bonus: int = 150
    credits_daily_free: int = 5

    # Payments: Stripe Checkout and its webhook. Without the secret key
    # checkout answers 503 PAYMENTS_NOT_CONFIGURED; without the webhook
    # secret the webhook does. The API base is Stripe's unless a test or a
    # proxy says otherwise.
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str = "https://api.stripe.com"
    stripe_timeout_seconds: float = 10.0

    # Outgoing mail. Without SMTP_HOST it is kept in the outbox table instead.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Mana Core <no-reply@localhost>"
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 10.0
    # Links in mail point to the app the request names (`appId`), else here.
    public_urls: dict[str, str] = Field(default_factory=dict)
    default_public_url: str = "http://localhost:3000"

    require_verified_email: bool = False
    email_verification_ttl_seconds: int = 24 * 3600
    password_reset_ttl_seconds: int = 3600
    rate_limit_email_per_address: int = 5
    rate_limit_email_per_ip: int = 30
    rate_limit_email_window_seconds: int = 3600

    # Fernet key (32 url-safe base64 bytes) encrypting TOTP secrets at rest.
    totp_encryption_key: SecretStr | None = None
    totp_issuer: str = "Mana Core"
    two_factor_challenge_ttl_seconds: int = 300

    # Operations. Unset, metrics are served outside production only; with
    # METRICS_TOKEN, /metrics asks for it as a bearer token.
    metrics_enabled: bool | None = None
    metrics_token: SecretStr | None = None
    # auto: JSON lines in production, readable text elsewhere.
    log_format: Literal["auto", "json", "text"] = "auto"
    # One line per request of the service's own (instead of uvicorn's);
    # unset: on with JSON logs.
    request_log: bool | None = None
    # Seconds between runs of the cleanup of expired rows; 0: never.
    cleanup_interval_seconds: int = Field(default=3600, ge=0)
    cleanup_sessions_after_days: int = Field(default=30, ge=0)
    cleanup_outbox_after_days: int = Field(default=30, ge=0)
    # Guilds: how long an invitation link works, and how many invitations
    # one member may send per window.
    guild_invitation_ttl_seconds: int = 7 * 24 * 3600
    rate_limit_guild_invitations_per_inviter: int = 50
    rate_limit_guild_invitations_window_seconds: int = 3600

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: dict) -> dict:
        for key in (
            "cors_origins",
            "admin_allowed_hosts",
            "jwt_previous_public_key_files",
        ):
            for name in (key, key.upper()):
                value = data.get(name)
                if isinstance(value, str):
                    data[name] = [p.strip() for p in value.split(",") if p.strip()]
        return data

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Settings:
        if self.environment is Environment.production:
            missing = []
            if self.database_url is None:
                missing.append("DATABASE_URL")
            if self.jwt_private_key is None and self.jwt_private_key_file is None:
                missing.append("JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE")
            if not self.admin_allowed_hosts:
                missing.append("ADMIN_ALLOWED_HOSTS")
            if self.totp_encryption_key is None:
                missing.append("TOTP_ENCRYPTION_KEY")
            if missing:
                raise ValueError(
                    "production needs explicit settings: " + ", ".join(missing)
                )
        if self.jwt_algorithm not in ("EdDSA", "RS256"):
            raise ValueError("JWT_ALGORITHM must be EdDSA or RS256")
        for url in [self.default_public_url, *self.public_urls.values()]:
            if not url.startswith(("https://", "http://")):
                raise ValueError(
                    "PUBLIC_URLS and DEFAULT_PUBLIC_URL must be http(s) URLs"
                )
        if self.totp_encryption_key is not None:
            _check_fernet_key(self.totp_encryption_key.get_secret_value())
        return self

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.development

    @property
    def admin_two_factor_required(self) -> bool:
        if self.admin_require_two_factor is not None:
            return self.admin_require_two_factor
        return self.environment is Environment.production

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def serves_metrics(self) -> bool:
        if self.metrics_enabled is not None:
            return self.metrics_enabled
        return self.environment is not Environment.production

    @property
    def logs_json(self) -> bool:
        if self.log_format == "auto":
            return self.environment is Environment.production
        return self.log_format == "json"

    @property
    def logs_requests(self) -> bool:
        return self.logs_json if self.request_log is None else self.request_log

    @property
    def sends_mail(self) -> bool:
        """SMTP is configured; otherwise mail goes to the outbox table."""
        return self.smtp_host is not None


def _check_fernet_key(key: str) -> None:
    try:
        decoded = base64.urlsafe_b64decode(key.encode())
    except (ValueError, binascii.Error):
        decoded = b""
    if len(decoded) != 32:
        raise ValueError(
            "TOTP_ENCRYPTION_KEY must be 32 url-safe base64-encoded bytes; make "
            "one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
