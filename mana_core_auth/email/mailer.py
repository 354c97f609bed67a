"""Sending mail: over SMTP when it is configured, else into the outbox table
(development), where operators read it in the admin.

Callers hand an `OutgoingMail` to `deliver`, which never raises: a mail
server that is down must neither fail a request nor change its answer (that
would tell who has an account). Log lines name the kind of mail, never its
body, which holds single-use links.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Protocol

from mana_core_auth.settings import Environment, Settings
from mana_core_auth.sql import fetch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str
    # What the mail is, for log lines: "email_verification", "password_reset".
    kind: str


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None:
        """:raises Exception: whatever the transport raises."""


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self.hostname = settings.smtp_host
        self.port = settings.smtp_port
        self.username = settings.smtp_username
        self.password = (
            settings.smtp_password.get_secret_value()
            if settings.smtp_password
            else None
        )
        self.sender = settings.smtp_from
        self.start_tls = settings.smtp_starttls
        self.timeout = settings.smtp_timeout_seconds

    def compose(self, mail: OutgoingMail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(usegmt=True)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

    async def send(self, mail: OutgoingMail) -> None:
        import aiosmtplib  # by the first mail sent: ~0.9 MB of each worker

        await aiosmtplib.send(
            self.compose(mail),
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )


_KEEP_IN_OUTBOX = """
INSERT INTO auth.outbox_messages (id, recipient, subject, text, html, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""


class OutboxMailer:
    """Keeps mail in `auth.outbox_messages` instead of sending it."""

    async def send(self, mail: OutgoingMail) -> None:
        message_id = uuid.uuid4()
        await fetch(
            _KEEP_IN_OUTBOX,
            message_id,
            mail.to,
            mail.subject,
            mail.text,
            mail.html,
            datetime.now(UTC),
        )
        logger.info(
            "%s mail kept in the outbox as %s (no SMTP_HOST)", mail.kind, message_id
        )


def build_mailer(settings: Settings) -> Mailer:
    if settings.sends_mail:
        return SmtpMailer(settings)
    if settings.environment is Environment.production:
        logger.warning("SMTP_HOST is not set: mail goes to the outbox table only")
    return OutboxMailer()


async def deliver(mailer: Mailer, mail: OutgoingMail) -> bool:
    """Send `mail`; False (logged) if that failed."""
    try:
        await mailer.send(mail)
    except Exception as error:
        logger.error("sending %s mail failed: %s", mail.kind, type(error).__name__)
        return False
    return True
