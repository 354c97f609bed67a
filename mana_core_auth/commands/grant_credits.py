from __future__ import annotations

import sys

from mana_core_auth.credits.grants import grant_by_email
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.errors import AppError
from mana_core_auth.settings import get_settings


async def grant_credits(
    email: str, amount: int, reason: str, free: bool = False
) -> None:
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
    try:
        change = await grant_by_email(
            email,
            amount,
            reason=reason,
            free=free,
            granted_by="piccolo mana grant_credits",
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
