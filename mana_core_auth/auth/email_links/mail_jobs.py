"""Requests that make the service mail an address anyone can type (resend
the verification link, forgot password).

They are limited per address and per client IP, counted before anything is
looked up, and answered the same whether or not the address has an account.
The look-up and the mail run after the answer is sent, so neither the answer
nor its timing nor a failing mail server tells who has an account.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.rate_limits import (
    count_attempt,
    email_address_limit,
    email_ip_limit,
)
from mana_core_auth.settings import Settings

logger = logging.getLogger(__name__)


async def accept_email_request(
    email: str, client: ClientInfo, settings: Settings
) -> None:
    """:raises TooManyRequests: past the mails allowed per address or per IP."""
    window = settings.rate_limit_email_window_seconds
    await count_attempt(
        email_address_limit(email, settings.rate_limit_email_per_address, window),
        email_ip_limit(client.ip_address, settings.rate_limit_email_per_ip, window),
    )


async def run_mail_job(job: Callable[..., Awaitable[Any]], /, **kwargs: Any) -> None:
    """Run `job` after the answer is sent; a failure is logged, never raised
    (nothing would catch it)."""
    try:
        await job(**kwargs)
    except Exception as error:
        logger.error("%s failed: %s", job.__name__, type(error).__name__)
