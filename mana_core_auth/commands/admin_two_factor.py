"""`piccolo mana admin_two_factor`: enrol an admin user in TOTP two-factor,
on the server, where a stolen admin password cannot reach."""

from __future__ import annotations

import asyncio
import io
import sys

import segno
from piccolo.apps.user.tables import BaseUser

from mana_core_auth.settings import get_settings
from mana_core_auth.studio.two_factor import admin_two_factor_provider, enrol_admin


async def _enrol(username: str, replace: bool) -> int:
    user = await BaseUser.objects().where(BaseUser.username == username).first()
    if user is None:
        print(f"No admin user {username!r}.", file=sys.stderr)
        return 1
    try:
        enrolment = await enrol_admin(
            user, admin_two_factor_provider(get_settings()), replace=replace
        )
    except ValueError as error:
        print(f"{error}; pass --replace to give them a new secret.", file=sys.stderr)
        return 1
    qr = io.StringIO()
    segno.make(enrolment.otpauth_uri, error="m").terminal(out=qr, compact=True)
    print(
        f"Scan this with {username}'s authenticator app, or enter the link:\n"
        f"{qr.getvalue()}\n{enrolment.otpauth_uri}\n\n"
        "Recovery codes, each usable once instead of a code (shown only now):\n"
        + "\n".join(f"    {code}" for code in enrolment.recovery_codes)
    )
    return 0


def admin_two_factor(username: str, replace: bool = False) -> None:
    """
    Enrol an admin user (`piccolo_user`) in TOTP two-factor for /admin/.

    :param username: the admin's username.
    :param replace: revoke the admin's current authenticator first.
    """
    sys.exit(asyncio.run(_enrol(username, replace)))
