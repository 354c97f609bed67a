"""A real SMTP server in the test process (aiosmtpd, on its own thread) and
what arrived at it."""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Mailbox:
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


def body(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    content: str = part.get_content()
    return content


def link_in(message: EmailMessage) -> str:
    """The one link of the mail's text part."""
    links = re.findall(r"https?://\S+", body(message))
    assert len(links) == 1, links
    link: str = links[0]
    return link


def token_in_text(text: str) -> str:
    found = TOKEN.search(text)
    assert found, "no token in the text"
    return found.group(1)


def token_in(message: EmailMessage) -> str:
    return token_in_text(link_in(message))


def start_smtp_server() -> tuple[Mailbox, Controller]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    return mailbox, controller
