"""Which limit a login attempt counts against: the account's, or a known
device's (OWASP "device cookies").

Failed logins per account stop password guessing, but they also let anyone
who knows an email lock its owner out. A client that presents a device
token from an earlier successful login to this account is no guesser from
nowhere: its failures count against that device alone (and its address, as
always), so failures from elsewhere never lock it out; a guesser holding a
stolen device token still gets only the device's few attempts.
"""

from __future__ import annotations

import time
import uuid

from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.rate_limits import (
    Limit,
    login_device_limit,
    login_ip_limit,
    login_limits,
)
from mana_core_auth.security.device_tokens import (
    DeviceToken,
    issue_device_token,
    read_device_token,
)
from mana_core_auth.security.session_keys import SessionKeys
from mana_core_auth.settings import Settings


def presented_device(
    keys: SessionKeys, token: str | None, settings: Settings
) -> DeviceToken | None:
    """A valid, unexpired device token; None for no token, a forged one or
    an old one. Whose account it is, the caller checks (`recognise_device`)."""
    if not token:
        return None
    device = read_device_token(keys.device_token_key, token)
    if device is None:
        return None
    if device.issued_at + settings.device_token_ttl_seconds < time.time():
        return None
    return device


def recognise_device(device: DeviceToken | None, user_id: uuid.UUID) -> str | None:
    """The device key of a presented device token of this user; None for no
    token or another user's."""
    if device is None or device.user_id != user_id:
        return None
    return device.device_key


def new_device_token(keys: SessionKeys, user_id: uuid.UUID) -> str:
    """The device token a successful login hands out."""
    return issue_device_token(
        keys.device_token_key, user_id, issued_at=int(time.time())
    )


def attempt_limits(
    email: str, client: ClientInfo, settings: Settings, known_device: str | None
) -> list[Limit]:
    """The limits a login attempt (password or second factor) counts
    against: the known device's and the address's, or the account's and the
    address's."""
    if known_device is None:
        return login_limits(email, client, settings)
    window = settings.rate_limit_login_window_seconds
    return [
        login_device_limit(
            known_device, settings.rate_limit_login_failures_per_device, window
        ),
        login_ip_limit(
            client.ip_address, settings.rate_limit_login_failures_per_ip, window
        ),
    ]
