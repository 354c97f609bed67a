"""TOTP two-factor for admin users, through piccolo_admin's MFA provider
support (piccolo_api's authenticator provider and its
`authenticator_secret` table).

The admins' TOTP secrets are encrypted with the service's TOTP key
(`TOTP_ENCRYPTION_KEY`), like the users' own. QR codes are drawn with segno,
which the service already uses, instead of the `qrcode` package. Enrolling
and revoking are recorded as `admin_write` events.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import segno
from piccolo.apps.user.tables import BaseUser
from piccolo_api.encryption.providers import EncryptionProvider
from piccolo_api.mfa.authenticator.provider import AuthenticatorProvider
from piccolo_api.mfa.authenticator.tables import AuthenticatorSecret

from auth_tables.tables import SecurityEventType
from mana_core_auth.security.two_factor_keys import TwoFactorKeys, load_two_factor_keys
from mana_core_auth.settings import Settings
from mana_core_auth.studio.audit import record_admin_event

RECOVERY_CODE_COUNT = 8


class TwoFactorKeyEncryption(EncryptionProvider):
    """piccolo_api's encryption interface over the service's TOTP key."""

    def __init__(self, keys: TwoFactorKeys) -> None:
        super().__init__(prefix="fernet")
        self.keys = keys

    def encrypt(self, value: str, add_prefix: bool = True) -> str:
        encrypted = self.keys.encrypt(value)
        return self.add_prefix(encrypted) if add_prefix else encrypted

    def decrypt(self, encrypted_value: str, has_prefix: bool = True) -> str:
        stored = self.remove_prefix(encrypted_value) if has_prefix else encrypted_value
        return self.keys.decrypt(stored)


def qr_png_base64(data: str) -> str:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=4, border=4)
    return base64.b64encode(buffer.getvalue()).decode()


class AdminAuthenticatorProvider(AuthenticatorProvider):
    async def _generate_qrcode_image(
        self, secret: AuthenticatorSecret, email: str
    ) -> str:
        uri = secret.get_authentication_setup_uri(
            email=email,
            encryption_provider=self.encryption_provider,
            issuer_name=self.issuer_name,
        )
        return qr_png_base64(uri)

    async def get_registration_html(self, user: BaseUser) -> str:
        html = await super().get_registration_html(user)
        await _record(user, "two_factor_enrolled")
        return html

    async def get_registration_json(self, user: BaseUser) -> dict:
        content = await super().get_registration_json(user)
        await _record(user, "two_factor_enrolled")
        return content

    async def delete_registration(self, user: BaseUser) -> None:
        await super().delete_registration(user)
        await _record(user, "two_factor_revoked")


async def _record(user: BaseUser, action: str) -> None:
    await record_admin_event(
        SecurityEventType.admin_write, admin=user.username, action=action
    )


def admin_two_factor_provider(settings: Settings) -> AdminAuthenticatorProvider:
    return AdminAuthenticatorProvider(
        encryption_provider=TwoFactorKeyEncryption(load_two_factor_keys(settings)),
        recovery_code_count=RECOVERY_CODE_COUNT,
        issuer_name=f"{settings.totp_issuer} admin",
    )


@dataclass(frozen=True)
class Enrolment:
    otpauth_uri: str
    recovery_codes: list[str]


async def enrol_admin(
    user: BaseUser, provider: AdminAuthenticatorProvider, *, replace: bool = False
) -> Enrolment:
    """Give an admin a new TOTP secret (revoking the current one when
    `replace`), for the server-side enrolment command.

    :raises ValueError: if the admin is enrolled and `replace` is false.
    """
    if await provider.is_user_enrolled(user):
        if not replace:
            raise ValueError(f"{user.username} already uses two-factor")
        await provider.delete_registration(user)
    secret, codes = await provider.secret_table.create_new(
        user_id=user.id,
        encryption_provider=provider.encryption_provider,
        recovery_code_count=provider.recovery_code_count,
    )
    await _record(user, "two_factor_enrolled")
    return Enrolment(
        otpauth_uri=secret.get_authentication_setup_uri(
            email=user.email or user.username,
            encryption_provider=provider.encryption_provider,
            issuer_name=provider.issuer_name,
        ),
        recovery_codes=codes,
    )
