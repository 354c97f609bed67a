"""Device tokens (OWASP "device cookies"): proof, handed out at a successful
login, that this client has logged in to this account before.

A token is the user id, the time it was issued and a random nonce, with an
HMAC-SHA256 over them under the server's device-token key
(`SessionKeys.device_token_key`); nothing is stored. The nonce names the
device for its own failure limit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

VERSION = b"\x01"
NONCE_BYTES = 16
_PAYLOAD_BYTES = len(VERSION) + 16 + 8 + NONCE_BYTES
_MAC_BYTES = 32
_CONTEXT = b"mana-core-auth device token\x00"


@dataclass(frozen=True)
class DeviceToken:
    user_id: uuid.UUID
    issued_at: int
    # Names the device in rate-limit keys; not the token, which it cannot
    # be turned back into.
    device_key: str


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _CONTEXT + payload, hashlib.sha256).digest()


def issue_device_token(key: bytes, user_id: uuid.UUID, *, issued_at: int) -> str:
    payload = (
        VERSION
        + user_id.bytes
        + issued_at.to_bytes(8, "big")
        + secrets.token_bytes(NONCE_BYTES)
    )
    token = payload + _mac(key, payload)
    return base64.urlsafe_b64encode(token).rstrip(b"=").decode()


def read_device_token(key: bytes, token: str) -> DeviceToken | None:
    """The token's contents if this key signed it; None for anything else
    (its age is for the caller to judge)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return None
    if len(raw) != _PAYLOAD_BYTES + _MAC_BYTES or not raw.startswith(VERSION):
        return None
    payload, mac = raw[:_PAYLOAD_BYTES], raw[_PAYLOAD_BYTES:]
    if not hmac.compare_digest(mac, _mac(key, payload)):
        return None
    nonce = payload[25:]
    return DeviceToken(
        user_id=uuid.UUID(bytes=payload[1:17]),
        issued_at=int.from_bytes(payload[17:25], "big"),
        device_key=hashlib.sha256(nonce).hexdigest()[:32],
    )
