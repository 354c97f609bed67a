"""Schema `auth`: people, their credentials, sessions and security history.

The original service's data model, column for column; where a table keeps
something else, its docstring says what and why, and
`docs/differences-from-the-original.md` lists every difference.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.indexes import IndexMethod
from piccolo.columns.readable import Readable
from piccolo.constraints import Check, Unique
from piccolo.table import Table


def utc_now() -> datetime:
    return datetime.now(UTC)


def choices_check(column_name: str, enum: type[Enum]) -> str:
    """SQL for a `Check` that keeps an enum-like column to its choices;
    Piccolo's `choices` alone creates no database constraint."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column_name} IN ({values})"


class Role(str, Enum):
    user = "user"
    admin = "admin"
    service = "service"


class VerificationTokenType(str, Enum):
    email_verification = "email_verification"
    password_reset = "password_reset"


class SecurityEventType(str, Enum):
    register = "register"
    login = "login"
    login_failed = "login_failed"
    logout = "logout"
    token_refresh = "token_refresh"
    refresh_token_reuse = "refresh_token_reuse"
    session_revoked = "session_revoked"
    password_change = "password_change"
    password_reset = "password_reset"
    email_verified = "email_verified"
    two_factor_enabled = "two_factor_enabled"
    two_factor_disabled = "two_factor_disabled"
    account_deleted = "account_deleted"
    suspicious_activity = "suspicious_activity"
    email_verification_sent = "email_verification_sent"
    password_reset_requested = "password_reset_requested"
    two_factor_setup = "two_factor_setup"
    two_factor_challenge = "two_factor_challenge"
    two_factor_failed = "two_factor_failed"
    account_exported = "account_exported"
    two_factor_reset = "two_factor_reset"
    backup_codes_regenerated = "backup_codes_regenerated"
    admin_login = "admin_login"
    admin_login_failed = "admin_login_failed"
    admin_write = "admin_write"
    credit_shortfall = "credit_shortfall"
    api_key_created = "api_key_created"
    api_key_revoked = "api_key_revoked"
    api_key_rejected = "api_key_rejected"


class User(Table, tablename="users", schema="auth"):
    """A person or service account. Deleting a user is a soft delete
    (`deleted_at`); the row stays because the credit ledger refers to it.

    The email is stored trimmed and lower-cased; a check keeps it that way.
    """

    id = UUID(primary_key=True)
    email = Text(unique=True, null=False)
    email_verified = Boolean(default=False)
    name = Varchar(length=255, null=True, default=None)
    avatar_url = Text(null=True, default=None)
    role = Varchar(length=16, choices=Role, default=Role.user)
    created_at = Timestamptz()
    updated_at = Timestamptz(auto_update=utc_now)
    deleted_at = Timestamptz(null=True, default=None, index=True)

    users_email_lower_check = Check("email = lower(btrim(email))")
    users_role_check = Check(choices_check("role", Role))

    @classmethod
    def get_readable(cls) -> Readable:
        """How the admin shows a user wherever a row refers to one."""
        return Readable(template="%s", columns=[cls.email])


class Session(Table, tablename="sessions", schema="auth"):
    """One row per issued refresh token.

    Access tokens are signed JWTs that carry the session's id as
    `sessionId`, so they are not stored at all; the refresh token is stored
    only as its SHA-256 (`refresh_token_hash`), so a database leak reveals
    no usable token.
    Refreshing revokes this row and inserts its successor with the same
    `family_id`; `replaced_by` links them, so presenting an old refresh token
    again is recognised as reuse and ends the whole family.
    """

    id = UUID(primary_key=True)
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        index=True,
    )
    family_id = UUID(index=True)
    refresh_token_hash = Varchar(length=64, unique=True, null=False, secret=True)
    refresh_token_expires_at = Timestamptz()
    ip_address = Varchar(length=45, null=True, default=None)
    user_agent = Text(null=True, default=None)
    device_id = Varchar(length=255, null=True, default=None)
    device_name = Varchar(length=255, null=True, default=None)
    last_activity_at = Timestamptz()
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    replaced_by = UUID(null=True, default=None)


class Password(Table, tablename="passwords", schema="auth"):
    """A user's password hash (argon2id; bcrypt hashes imported from the
    original still verify and are upgraded at the next login)."""

    user = ForeignKey(
        User,
        db_column_name="user_id",
        primary_key=True,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
    )
    hashed_password = Text(null=False, secret=True)
    created_at = Timestamptz()
    updated_at = Timestamptz(auto_update=utc_now)


class Account(Table, tablename="accounts", schema="auth"):
    """A link to an external identity provider (OAuth)."""

    id = UUID(primary_key=True)
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        index=True,
    )
    provider = Varchar(length=64, null=False)
    provider_account_id = Varchar(length=255, null=False)
    access_token = Text(null=True, default=None, secret=True)
    refresh_token = Text(null=True, default=None, secret=True)
    expires_at = Timestamptz(null=True, default=None)
    token_type = Varchar(length=64, null=True, default=None)
    scope = Text(null=True, default=None)
    id_token = Text(null=True, default=None, secret=True)
    metadata = JSONB(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz(auto_update=utc_now)

    accounts_provider_account_unique = Unique(["provider", "provider_account_id"])


class VerificationToken(Table, tablename="verification_tokens", schema="auth"):
    """Single-use email-verification and password-reset tokens.

    Only the token's SHA-256 is kept (`token_hash`), so a database leak
    reveals no usable link.
    """

    id = UUID(primary_key=True)
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        index=True,
    )
    token_hash = Varchar(length=64, unique=True, null=False, secret=True)
    type = Varchar(length=32, choices=VerificationTokenType, null=False)
    expires_at = Timestamptz()
    created_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)

    verification_tokens_type_check = Check(choices_check("type", VerificationTokenType))


class TwoFactorAuth(Table, tablename="two_factor_auth", schema="auth"):
    """TOTP enrolment. The secret is stored encrypted, the backup codes
    hashed (keyed), each removed from the list when it is used.

    `last_used_step` is the RFC 6238 time step of the
    last code accepted; only later steps are accepted, so a code cannot be
    replayed within its window.
    """

    user = ForeignKey(
        User,
        db_column_name="user_id",
        primary_key=True,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
    )
    secret = Text(null=False, secret=True)
    enabled = Boolean(default=False)
    backup_codes = JSONB(default=[], secret=True)
    created_at = Timestamptz()
    enabled_at = Timestamptz(null=True, default=None)
    last_used_step = Integer(null=True, default=None)


class SecurityEvent(Table, tablename="security_events", schema="auth"):
    """What happened to an account, for the user and for operators. Never
    holds a password, token or hash."""

    id = UUID(primary_key=True)
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=True,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        index=True,
    )
    event_type = Varchar(length=32, choices=SecurityEventType, null=False)
    ip_address = Varchar(length=45, null=True, default=None)
    user_agent = Text(null=True, default=None)
    metadata = JSONB(null=True, default=None)
    created_at = Timestamptz(index=True, index_method=IndexMethod.btree)

    # Piccolo compares constraints by name only: when SecurityEventType gains
    # a value, give this check a new name so the auto migration replaces it.
    security_events_type_check_v3 = Check(
        choices_check("event_type", SecurityEventType)
    )


class RateLimitCounter(Table, tablename="rate_limit_counters", schema="auth"):
    """Fixed-window counters shared by every worker and replica (failed logins
    per account and per IP, registrations per IP)."""

    key = Varchar(length=255, primary_key=True)
    window_started_at = Timestamptz()
    hits = Integer(default=0)


class OutboxMessage(Table, tablename="outbox_messages", schema="auth"):
    """Mail the service would have sent, kept here when no SMTP server is
    configured (development): operators read it in the admin."""

    id = UUID(primary_key=True)
    recipient = Text(null=False)
    subject = Text(null=False)
    text = Text(null=False)
    html = Text(null=False)
    created_at = Timestamptz(index=True)


class ApiKeyKind(str, Enum):
    service = "service"
    personal = "personal"


class ApiKeyScope(str, Enum):
    credits_read = "credits:read"
    credits_spend = "credits:spend"
    credits_refund = "credits:refund"
    auth_validate = "auth:validate"


# What each kind of key may hold (`mana_core_auth.api_keys.scopes` says why).
API_KEY_SCOPES: dict[ApiKeyKind, tuple[ApiKeyScope, ...]] = {
    ApiKeyKind.service: (
        ApiKeyScope.credits_spend,
        ApiKeyScope.credits_refund,
        ApiKeyScope.auth_validate,
    ),
    ApiKeyKind.personal: (ApiKeyScope.credits_read, ApiKeyScope.credits_spend),
}


def _scopes_check() -> str:
    return " OR ".join(
        f"(kind = '{kind.value}' AND cardinality(scopes) > 0 AND scopes <@ "
        f"ARRAY[{', '.join(repr(scope.value) for scope in scopes)}]::varchar[])"
        for kind, scopes in API_KEY_SCOPES.items()
    )


class ApiKey(Table, tablename="api_keys", schema="auth"):
    """Service keys (an app's backend acting for its users) and personal keys
    (a user's own scripts; other services validate them).

    Only a keyed hash of the key is kept (`key_hash`, HMAC-SHA256 under a
    server key), unique, so authenticating is one indexed lookup; `prefix` is
    the key's start, shown in lists so people can tell keys apart. A service
    key names its app (`app_id`), a personal key its user. `last_used_at` is
    updated at most once a minute. Keys are revoked, never deleted, so the
    ledger rows they wrote keep pointing at them.
    """

    id = UUID(primary_key=True)
    kind = Varchar(length=16, choices=ApiKeyKind, null=False)
    name = Varchar(length=100, null=False)
    app_id = Varchar(length=255, null=True, default=None)
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=True,
        default=None,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        index=True,
    )
    prefix = Varchar(length=32, null=False)
    key_hash = Varchar(length=64, unique=True, null=False, secret=True)
    scopes = Array(base_column=Varchar(length=32), default=[])
    # Requests per window; no limit when null.
    rate_limit_requests = Integer(null=True, default=None)
    rate_limit_window_seconds = Integer(default=3600)
    created_by = Varchar(length=255, null=True, default=None)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)

    api_keys_kind_check = Check(choices_check("kind", ApiKeyKind))
    api_keys_owner_check = Check(
        "(kind = 'service' AND app_id IS NOT NULL AND user_id IS NULL)"
        " OR (kind = 'personal' AND user_id IS NOT NULL AND app_id IS NULL)"
    )
    # Piccolo compares constraints by name only: when the scopes change, give
    # this check a new name so the auto migration replaces it.
    api_keys_scopes_check_v1 = Check(_scopes_check())
    api_keys_rate_limit_positive = Check(
        "(rate_limit_requests IS NULL OR rate_limit_requests > 0)"
        " AND rate_limit_window_seconds > 0"
    )


class GuildRole(str, Enum):
    owner = "owner"
    admin = "admin"
    member = "member"


class Guild(Table, tablename="guilds", schema="auth"):
    """An organisation (family, team) whose members share a credit pool
    (`credits.guild_pools`).

    A guild may have several owners: who owns it is the members' `role`, so
    the original's single `owner` column is `created_by` here, the user who
    created it (kept as a record; NULL once that user is deleted).
    The slug is unique and URL-safe; the name is the one user-supplied
    text that invitation mails carry, so it holds no control characters.
    """

    id = UUID(primary_key=True)
    name = Varchar(length=100, null=False)
    slug = Varchar(length=64, unique=True, null=False)
    created_by = ForeignKey(
        User,
        db_column_name="created_by",
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
        on_update=OnUpdate.cascade,
    )
    created_at = Timestamptz()
    updated_at = Timestamptz(auto_update=utc_now)

    guilds_slug_format = Check("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'")
    guilds_name_not_blank = Check("btrim(name) <> '' AND name !~ '[[:cntrl:]]'")


class GuildMember(Table, tablename="guild_members", schema="auth"):
    """A user's membership of a guild, with their role: owners manage
    everything, admins the guild's details, invitations and members'
    limits, members spend and fund the pool."""

    id = UUID(primary_key=True)
    guild = ForeignKey(
        Guild,
        db_column_name="guild_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
    )
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        index=True,
    )
    role = Varchar(length=16, choices=GuildRole, default=GuildRole.member)
    created_at = Timestamptz()
    updated_at = Timestamptz(auto_update=utc_now)

    guild_members_guild_user_unique = Unique(["guild_id", "user_id"])
    guild_members_role_check = Check(choices_check("role", GuildRole))


class GuildInvitation(Table, tablename="guild_invitations", schema="auth"):
    """An invitation mailed to an address: single use, until `expires_at`,
    accepted only by the account with that (lower-cased) email.

    Only the token's SHA-256 is kept (`token_hash`), so a database leak
    reveals no usable link. Inviting an address again revokes its pending
    invitations, so only the newest link works.
    """

    id = UUID(primary_key=True)
    guild = ForeignKey(
        Guild,
        db_column_name="guild_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        index=True,
    )
    email = Text(null=False)
    role = Varchar(length=16, choices=GuildRole, default=GuildRole.member)
    token_hash = Varchar(length=64, unique=True, null=False, secret=True)
    invited_by = ForeignKey(
        User,
        db_column_name="invited_by",
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
        on_update=OnUpdate.cascade,
    )
    created_at = Timestamptz()
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    accepted_by = ForeignKey(
        User,
        db_column_name="accepted_by",
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
        on_update=OnUpdate.cascade,
    )
    revoked_at = Timestamptz(null=True, default=None)

    guild_invitations_email_lower_check = Check("email = lower(btrim(email))")
    guild_invitations_role_check = Check(choices_check("role", GuildRole))
    guild_invitations_accepted_or_revoked = Check(
        "accepted_at IS NULL OR revoked_at IS NULL"
    )
