"""The mailer and the templates on their own: what goes over SMTP, what
lands in the outbox, where links lead, and failures that are only logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from auth_tables.tables import OutboxMessage
from mana_core_auth.email.mailer import (
    OutboxMailer,
    OutgoingMail,
    SmtpMailer,
    build_mailer,
    deliver,
)
from mana_core_auth.email.templates import link, password_reset_mail
from mana_core_auth.settings import Settings
from tests.mana_core_auth.auth.mailbox import (
    Mailbox,
    body,
    free_port,
    start_smtp_server,
)

SECRET_LINK = "https://mana.example/reset-password?token=secret-token-value"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box, controller = start_smtp_server()
    yield box
    controller.stop()


def _settings(**overrides: object) -> Settings:
    return Settings(
        _env_file=None,
        default_public_url="https://mana.example/",
        public_urls={"chat": "https://chat.example/app"},
        **overrides,  # type: ignore[arg-type]
    )


def _mail(to: str) -> OutgoingMail:
    return password_reset_mail(
        to=to, name="<Ada & Co>", url=SECRET_LINK, valid_minutes=60
    )


def test_links_lead_to_the_configured_app_or_the_default() -> None:
    settings = _settings()
    assert link(settings, "chat", "/verify-email", "t0k") == (
        "https://chat.example/app/verify-email?token=t0k"
    )
    for app_id in (None, "unknown", "https://evil.example"):
        assert link(settings, app_id, "/verify-email", "t0k") == (
            "https://mana.example/verify-email?token=t0k"
        )


def test_html_is_escaped_and_both_parts_carry_the_link() -> None:
    mail = _mail("ada@example.com")
    assert "Hello <Ada & Co>," in mail.text and SECRET_LINK in mail.text
    assert "&lt;Ada &amp; Co&gt;" in mail.html and "<Ada" not in mail.html
    assert f'href="{SECRET_LINK}"' in mail.html


def test_the_mailer_follows_the_settings() -> None:
    assert isinstance(build_mailer(_settings()), OutboxMailer)
    assert isinstance(build_mailer(_settings(smtp_host="127.0.0.1")), SmtpMailer)


async def test_smtp_sends_text_and_html_from_the_configured_sender(mailbox) -> None:
    mailer = SmtpMailer(
        _settings(
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
            smtp_starttls=False,
            smtp_from="Mana <no-reply@mana.example>",
        )
    )
    assert await deliver(mailer, _mail("smtp-test@example.com"))
    [message] = mailbox.to("smtp-test@example.com")
    assert message["From"] == "Mana <no-reply@mana.example>"
    assert message["Subject"] == "Reset your password"
    assert message["Message-ID"].endswith("@mana.example>")
    assert SECRET_LINK in body(message)
    assert SECRET_LINK in body(message, "html")


async def test_the_outbox_keeps_the_mail_and_logs_no_link(client, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        assert await deliver(OutboxMailer(), _mail("outbox-test@example.com"))
    rows = await OutboxMessage.select().where(
        OutboxMessage.recipient == "outbox-test@example.com"
    )
    assert rows and SECRET_LINK in rows[-1]["text"]
    assert "password_reset mail kept in the outbox" in caplog.text
    assert "secret-token-value" not in caplog.text


async def test_a_failed_send_is_logged_without_the_mail(caplog) -> None:
    mailer = SmtpMailer(
        _settings(
            smtp_host="127.0.0.1",
            smtp_port=free_port(),
            smtp_starttls=False,
            smtp_timeout_seconds=2,
        )
    )
    with caplog.at_level(logging.DEBUG):
        assert not await deliver(mailer, _mail("nobody@example.com"))
    assert "sending password_reset mail failed" in caplog.text
    assert "secret-token-value" not in caplog.text
    assert "nobody@example.com" not in caplog.text
