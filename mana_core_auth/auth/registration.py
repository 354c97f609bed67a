"""Creating an account: the user, their password, their credit balance, the
security event and the first email verification link, in one statement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from auth_tables.tables import SecurityEventType, User, VerificationTokenType
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.email_links.tokens import insert_link_token_sql, new_link_token
from mana_core_auth.auth.errors import EmailTaken, WeakPassword
from mana_core_auth.auth.events import event_values, insert_event_sql
from mana_core_auth.auth.rate_limits import (
    count_sql,
    counted_keys,
    raise_if_exceeded,
    register_ip_limit,
)
from mana_core_auth.credits.balances import OPEN_BALANCE_CTES, open_balance_values
from mana_core_auth.security.password_policy import is_common_password
from mana_core_auth.security.passwords import hash_password
from mana_core_auth.settings import Settings
from mana_core_auth.sql import fetch


@dataclass(frozen=True)
class RegisteredAccount:
    id: uuid.UUID
    email: str
    name: str | None
    created_at: datetime
    # For the verification mail only.
    verification_token: str


# The registration counted against the client's limit (`count_sql`) and,
# in the same round trip, whether the email is taken: one row per counted
# key.
_COUNT_AND_FIND_EMAIL = f"""
WITH counted AS ({count_sql("$1::text[]", "$2::int")})
SELECT counted.key, counted.hits, counted.window_started_at, counted.now,
       EXISTS (SELECT 1 FROM auth.users WHERE email = $3) AS taken
FROM counted
"""  # noqa: S608 (constants and placeholders)

# One statement is atomic: no user is left without its password, balance,
# event or verification link. $1 to $4 are those of OPEN_BALANCE_CTES (the
# user's id and the time among them). Foreign keys are checked at the
# statement's end, when the user row is there. The link needs none of
# `issue_link_token`'s locking: the user has no other link yet, and a
# concurrent resend finds the user only once this statement has committed.
_CREATE_ACCOUNT = f"""
WITH new_user AS (
    INSERT INTO auth.users (id, email, name, created_at, updated_at)
    VALUES ($1::uuid, $5, $6, $4::timestamptz, $4::timestamptz)
),
new_password AS (
    INSERT INTO auth.passwords (user_id, hashed_password, created_at, updated_at)
    VALUES ($1::uuid, $7, $4::timestamptz, $4::timestamptz)
),
event AS ({insert_event_sql(8)}),
verification AS ({insert_link_token_sql(15)}),
{OPEN_BALANCE_CTES}
SELECT 1
"""  # noqa: S608 (constants and placeholders)


async def register(
    *,
    email: str,
    password: str,
    name: str | None,
    client: ClientInfo,
    settings: Settings,
) -> RegisteredAccount:
    """Create an account for a normalised `email`.

    :raises TooManyRequests: past the registrations allowed per client IP.
    :raises WeakPassword: for one of the most common passwords.
    :raises EmailTaken: if an account (even a deleted one) has this email.
    """
    limit = register_ip_limit(
        client.ip_address,
        settings.rate_limit_register_per_ip,
        settings.rate_limit_register_window_seconds,
    )
    counted = await fetch(
        _COUNT_AND_FIND_EMAIL, counted_keys([limit]), limit.window_seconds, email
    )
    raise_if_exceeded(counted, [limit])
    if is_common_password(password):
        raise WeakPassword()
    # Saves a hash for the usual duplicate; the unique index below still
    # decides between concurrent registrations.
    if counted[0]["taken"]:
        raise EmailTaken()
    hashed_password = await hash_password(password)
    user_id = uuid.uuid4()
    now = datetime.now(UTC)
    verification = new_link_token(
        user_id,
        VerificationTokenType.email_verification,
        settings.email_verification_ttl_seconds,
    )
    try:
        await fetch(
            _CREATE_ACCOUNT,
            *open_balance_values(user_id, settings, now),
            email,
            name,
            hashed_password,
            *event_values(SecurityEventType.register, user_id=user_id, client=client),
            *verification.values,
        )
    except asyncpg.UniqueViolationError as error:
        if error.table_name == User._meta.tablename:
            raise EmailTaken() from None
        raise
    return RegisteredAccount(
        id=user_id,
        email=email,
        name=name,
        created_at=now,
        verification_token=verification.token,
    )
