"""The service's mail, each as plain text and HTML, with its link built from
the public URL of the app the user came from.

Mail to an address nobody has proven to own (verification; a reset link to
an unverified account) carries no text a requester chose, not even a name:
anyone can type a stranger's address, and would otherwise have the service
mail them their words."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from mana_core_auth.email.mailer import OutgoingMail
from mana_core_auth.settings import Settings

VERIFY_EMAIL_PATH = "/verify-email"
RESET_PASSWORD_PATH = "/reset-password"  # noqa: S105 (a path)


def public_url(settings: Settings, app_id: str | None) -> str:
    """The configured URL of app `app_id`; the default for unknown or no app.
    Never a URL the request supplies: links must lead to our apps only."""
    url = settings.public_urls.get(app_id or "", settings.default_public_url)
    return url.rstrip("/")


def link(settings: Settings, app_id: str | None, path: str, token: str) -> str:
    return f"{public_url(settings, app_id)}{path}?{urlencode({'token': token})}"


def _html(greeting: str, paragraphs: list[str], url: str, button: str) -> str:
    body = "".join(f"<p>{escape(text)}</p>\n" for text in paragraphs)
    return (
        "<!doctype html>\n"
        '<html><body style="font-family: sans-serif; line-height: 1.5">\n'
        f"<p>{escape(greeting)}</p>\n"
        f"{body}"
        f'<p><a href="{escape(url)}">{escape(button)}</a></p>\n'
        "<p>If the button does not work, copy this address into your browser:"
        f"<br>{escape(url)}</p>\n"
        "</body></html>\n"
    )


def _text(greeting: str, paragraphs: list[str], url: str) -> str:
    return "\n\n".join([greeting, *paragraphs, url]) + "\n"


def _greeting(name: str | None) -> str:
    return f"Hello {name}," if name else "Hello,"


def notice_mail(
    *, to: str, subject: str, paragraphs: list[str], kind: str
) -> OutgoingMail:
    """A mail that tells the owner something happened; no link, no name."""
    greeting = _greeting(None)
    html = "".join(f"<p>{escape(text)}</p>\n" for text in [greeting, *paragraphs])
    return OutgoingMail(
        to=to,
        subject=subject,
        text="\n\n".join([greeting, *paragraphs]) + "\n",
        html=(
            "<!doctype html>\n"
            '<html><body style="font-family: sans-serif; line-height: 1.5">\n'
            f"{html}</body></html>\n"
        ),
        kind=kind,
    )


def verification_mail(*, to: str, url: str, valid_hours: int) -> OutgoingMail:
    paragraphs = [
        "Please confirm that this is your email address by opening the link "
        f"below. It works once, for {valid_hours} hours.",
        "If you did not create an account, ignore this message.",
    ]
    greeting = _greeting(None)
    return OutgoingMail(
        to=to,
        subject="Confirm your email address",
        text=_text(greeting, paragraphs, url),
        html=_html(greeting, paragraphs, url, "Confirm email address"),
        kind="email_verification",
    )


def password_reset_mail(
    *, to: str, name: str | None, url: str, valid_minutes: int
) -> OutgoingMail:
    """`name` only for a verified address."""
    paragraphs = [
        "Someone asked to reset the password of your account. Open the link "
        f"below to choose a new one. It works once, for {valid_minutes} minutes, "
        "and logs you out everywhere.",
        "If it was not you, ignore this message: your password stays as it is.",
    ]
    greeting = _greeting(name)
    return OutgoingMail(
        to=to,
        subject="Reset your password",
        text=_text(greeting, paragraphs, url),
        html=_html(greeting, paragraphs, url, "Choose a new password"),
        kind="password_reset",
    )


ACCEPT_INVITATION_PATH = "/accept-invitation"


def guild_invitation_mail(
    *, to: str, guild_name: str, role: str, url: str, valid_days: int
) -> OutgoingMail:
    """The guild's name is the only text in it that a user chose (checked
    for control characters when the guild was named); the subject has none."""
    paragraphs = [
        f"You are invited to join the guild \u201c{guild_name}\u201d as {role} "
        "and share its mana credits. Open the link below with the account of "
        "this email address (register one with it first if you have none). "
        f"It works once, for {valid_days} days.",
        "If you do not want to join, ignore this message.",
    ]
    greeting = _greeting(None)
    return OutgoingMail(
        to=to,
        subject="You are invited to join a guild",
        text=_text(greeting, paragraphs, url),
        html=_html(greeting, paragraphs, url, "Accept the invitation"),
        kind="guild_invitation",
    )
