from __future__ import annotations

import sys

from auth_tables.tables import User
from credit_tables.tables import TransactionType
from mana_core_auth.credits.grants import grant as grant_credits
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.errors import AppError
from mana_core_auth.settings import get_settings


async def grant(email: str, amount: int, reason: str, free: bool = False) -> None:
    """
    Give a user credits (or take paid credits away with a negative amount),
    as one ledger row with the reason.

    :param email:
        The user's email.
    :param amount:
        Credits to add; negative takes paid credits away.
    :param reason:
        Why, for the ledger (shown to the user as the description).
    :param free:
        Add free credits (a `bonus` row) instead of paid ones (an
        `adjustment` row).
    """
    user = await User.select(User.id).where(User.email == email.strip().lower()).first()
    if user is None:
        sys.exit(f"No user with the email {email}.")
    try:
        change = await grant_credits(
            user["id"],
            amount,
            reason=reason,
            kind=TransactionType.bonus if free else TransactionType.adjustment,
            granted_by="piccolo credits grant",
            now=utc_now(),
            settings=get_settings(),
        )
    except (AppError, ValueError) as error:
        sys.exit(f"Not granted: {error}")
    new = change.new_balance
    print(
        f"{change.transaction.type.capitalize()} of {amount} for {email}: "
        f"paid {new.balance}, free {new.free_credits_remaining} "
        f"(ledger row {change.transaction.id})."
    )
