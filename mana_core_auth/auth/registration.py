"""Creating an account: the user, their password and their credit balance,
in one transaction."""

from __future__ import annotations

import asyncpg

from auth_tables.tables import Password, SecurityEventType, User
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.errors import EmailTaken, WeakPassword
from mana_core_auth.auth.events import record_event
from mana_core_auth.auth.rate_limits import count_attempt, register_ip_limit
from mana_core_auth.credits.balances import open_balance
from mana_core_auth.security.password_policy import is_common_password
from mana_core_auth.security.passwords import hash_password
from mana_core_auth.settings import Settings


async def register(
    *,
    email: str,
    password: str,
    name: str | None,
    client: ClientInfo,
    settings: Settings,
) -> User:
    """Create an account for a normalised `email`.

    :raises TooManyRequests: past the registrations allowed per client IP.
    :raises WeakPassword: for one of the most common passwords.
    :raises EmailTaken: if an account (even a deleted one) has this email.
    """
    await count_attempt(
        register_ip_limit(
            client.ip_address,
            settings.rate_limit_register_per_ip,
            settings.rate_limit_register_window_seconds,
        )
    )
    if is_common_password(password):
        raise WeakPassword()
    # Saves a hash for the usual duplicate; the unique index below still
    # decides between concurrent registrations.
    if await User.exists().where(User.email == email):
        raise EmailTaken()
    hashed_password = await hash_password(password)
    user = User(email=email, name=name)
    try:
        async with User._meta.db.transaction():
            await User.insert(user)
            await Password.insert(
                Password(user=user.id, hashed_password=hashed_password)
            )
            await open_balance(user.id, settings)
            await record_event(
                SecurityEventType.register, user_id=user.id, client=client
            )
    except asyncpg.UniqueViolationError as error:
        if error.table_name == User._meta.tablename:
            raise EmailTaken() from None
        raise
    return user
