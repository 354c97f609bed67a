"""TOTP codes (RFC 6238: SHA-1, 6 digits, 30-second steps, as every
authenticator app reads them), enrolment URIs and QR codes, and backup codes."""

from __future__ import annotations

import hmac
import secrets

import pyotp

# Codes of the step before and after the current one are accepted as well,
# for clocks that drift and codes typed at the end of their step.
VALID_WINDOW = 1

BACKUP_CODE_COUNT = 10
# Without 0/o and 1/i/l, which people misread; 31 ** 10 is about 2 ** 49.5.
BACKUP_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
BACKUP_CODE_LENGTH = 10


def new_secret() -> str:
    """160 random bits, base32 (RFC 4226 recommends 160)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_name: str, issuer: str) -> str:
    """The `otpauth://totp/...` URI authenticator apps enrol from."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """`uri` as a QR code: a PNG `data:` URI an `<img>` can show."""
    import segno  # by the first enrolment: ~0.6 MB and ~4 ms of each worker's start

    return segno.make(uri, error="m").png_data_uri(scale=5, border=2)


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step (counter) whose code `code` is, within the window around
    `now`; None if it is no code of the window."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_backup_codes() -> list[str]:
    """Codes shown to the user once, as `xxxxx-xxxxx`."""
    codes = []
    for _ in range(BACKUP_CODE_COUNT):
        code = "".join(
            secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH)
        )
        half = BACKUP_CODE_LENGTH // 2
        codes.append(f"{code[:half]}-{code[half:]}")
    return codes


def normalize_backup_code(code: str) -> str:
    """What is compared: case, spaces and dashes as typed do not matter."""
    return "".join(code.split()).replace("-", "").lower()
