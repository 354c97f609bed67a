"""The mail that tells a user their two-factor settings changed.

Whoever changes two-factor has the password and an access token; if that is
not the owner, this mail is how the owner finds out, and what to do. It goes
to the account's address after the answer (like every mail), holds no
secret, code or link, and names no one.
"""

from __future__ import annotations

import uuid
from enum import Enum

from fastapi import BackgroundTasks

from auth_tables.tables import User
from mana_core_auth.auth.email_links.mail_jobs import run_mail_job
from mana_core_auth.email.mailer import Mailer, deliver
from mana_core_auth.email.templates import notice_mail


class TwoFactorChange(str, Enum):
    setup = "setup"
    enabled = "enabled"
    backup_codes_regenerated = "backup_codes_regenerated"
    disabled = "disabled"
    # An operator's reset from the admin.
    reset = "reset"


_NOTICES = {
    TwoFactorChange.setup: (
        "Two-factor authentication is being set up on your account",
        "Someone who knows your password started setting up two-factor "
        "authentication on your account. It turns on once they confirm a code "
        "from their authenticator app.",
    ),
    TwoFactorChange.enabled: (
        "Two-factor authentication is on",
        "Two-factor authentication is now on for your account: logging in "
        "needs a code from the authenticator app (or a backup code) after the "
        "password.",
    ),
    TwoFactorChange.backup_codes_regenerated: (
        "New two-factor backup codes were made",
        "New backup codes were made for your account; the earlier ones no longer work.",
    ),
    TwoFactorChange.disabled: (
        "Two-factor authentication is off",
        "Two-factor authentication was turned off for your account: logging "
        "in needs only the password now.",
    ),
    TwoFactorChange.reset: (
        "Two-factor authentication was reset by support",
        "Support turned two-factor authentication off for your account, as "
        "asked. Logging in needs only the password now; you can set two-factor "
        "up again in the app.",
    ),
}

IF_NOT_YOU = (
    "If this was not you, reset your password at once with \u201cForgot "
    "password\u201d in the app: that ends every session. Then contact support."
)


async def mail_two_factor_notice(
    *, user_id: uuid.UUID, change: TwoFactorChange, mailer: Mailer
) -> None:
    row = (
        await User.select(User.email)
        .where((User.id == user_id) & User.deleted_at.is_null())
        .first()
    )
    if row is None:
        return
    subject, what = _NOTICES[change]
    await deliver(
        mailer,
        notice_mail(
            to=row["email"],
            subject=subject,
            paragraphs=[what, IF_NOT_YOU],
            kind=f"two_factor_{change.value}",
        ),
    )


def notify_owner(
    background: BackgroundTasks,
    mailer: Mailer,
    user_id: uuid.UUID,
    change: TwoFactorChange,
) -> None:
    """Mail the notice after the answer is sent."""
    background.add_task(
        run_mail_job,
        mail_two_factor_notice,
        user_id=user_id,
        change=change,
        mailer=mailer,
    )
