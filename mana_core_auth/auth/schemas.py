"""Request and response bodies of `/auth` (camelCase on the wire)."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from mana_core_auth.credits.schemas import (
    BalanceResponse,
    PurchaseResponse,
    TransactionResponse,
)
from mana_core_auth.schemas import ApiModel, NoNul
from mana_core_auth.security.password_policy import MAX_LENGTH, MIN_LENGTH


def _fold_email(value: Any) -> Any:
    """NFKC, trimmed, lower-cased: compatibility variants of an address
    (fullwidth letters, ligatures, superscripts) are the same address, so
    they are one account and one rate-limit key."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFKC", value).strip().lower()


def _validate_email(value: str) -> str:
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return checked.normalized.lower()


# Stored and compared NFKC-folded, trimmed and lower-cased.
NormalizedEmail = Annotated[
    str,
    BeforeValidator(_fold_email),
    NoNul,
    Field(min_length=1, max_length=320, examples=["ada@example.com"]),
]
# At registration the address must also be well-formed (no DNS look-up).
NewEmail = Annotated[NormalizedEmail, AfterValidator(_validate_email)]

NewPassword = Annotated[
    str,
    Field(
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description="Taken as typed; the most common passwords are refused.",
        examples=["correct-horse-battery-staple-42"],
    ),
]
# Accounts carried over from the original may have shorter passwords.
GivenPassword = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]


def _without_control_characters(value: str | None) -> str | None:
    # A name goes into mail, logs and other people's screens: a line break
    # or an escape sequence in it could forge a header or a line there.
    if value is not None and any(
        unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value
    ):
        raise ValueError("must not contain control characters or line breaks")
    return value


PersonName = Annotated[
    str | None,
    Field(default=None, max_length=255),
    NoNul,
    AfterValidator(_without_control_characters),
]

DeviceField = Annotated[str | None, Field(default=None, max_length=255), NoNul]


AppIdField = Annotated[
    str | None,
    Field(
        default=None,
        min_length=1,
        max_length=255,
        description="The app the user came from: links in mail lead to it",
        examples=["chat"],
    ),
    NoNul,
]


class RegisterRequest(ApiModel):
    email: NewEmail
    password: NewPassword
    name: PersonName
    app_id: AppIdField


class RegisteredUser(ApiModel):
    id: uuid.UUID
    email: str
    name: str | None
    created_at: datetime


class LoginRequest(ApiModel):
    email: NormalizedEmail
    password: GivenPassword
    device_id: DeviceField
    device_name: DeviceField
    device_token: Annotated[
        str | None,
        Field(
            default=None,
            max_length=512,
            description="The deviceToken of this client's last login to this "
            "account: failures from elsewhere then do not lock it out",
        ),
    ]


class UserSummary(ApiModel):
    id: uuid.UUID
    email: str
    name: str | None
    role: str


class TokenResponse(ApiModel):
    user: UserSummary
    access_token: str
    refresh_token: str
    expires_in: int = Field(description="Seconds until the access token expires")
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a scheme name)


class LoginTokenResponse(TokenResponse):
    device_token: str = Field(
        description="Keep it for this account and send it with the next "
        "login (`deviceToken`): failed logins from elsewhere then do not "
        "lock this client out"
    )


class RefreshRequest(ApiModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=4096)]


class ValidateRequest(ApiModel):
    token: Annotated[str, Field(min_length=1, max_length=8192)]


class ValidateResponse(ApiModel):
    valid: bool
    payload: dict[str, Any] | None = Field(
        default=None, description="The token's claims, when valid"
    )
    error: str | None = Field(default=None, description="Why not, when invalid")


class Me(ApiModel):
    id: uuid.UUID
    email: str
    email_verified: bool
    name: str | None
    avatar_url: str | None
    role: str
    created_at: datetime


class SessionInfo(ApiModel):
    id: uuid.UUID
    device_id: str | None
    device_name: str | None
    ip_address: str | None
    user_agent: str | None
    created_at: datetime
    last_activity_at: datetime
    expires_at: datetime
    current: bool = Field(description="The session of the token making this call")


class SessionList(ApiModel):
    sessions: list[SessionInfo]


class ChangePasswordRequest(ApiModel):
    current_password: GivenPassword
    new_password: NewPassword


class SessionsEnded(ApiModel):
    message: str
    revoked_sessions: int = Field(description="How many sessions ended")


class TwoFactorChallengeResponse(ApiModel):
    """The login answer for a user with two-factor authentication."""

    two_factor_required: Literal[True] = True
    challenge_token: str = Field(description="For /auth/2fa/verify")
    expires_in: int = Field(description="Seconds until the challenge expires")


LinkToken = Annotated[str, Field(min_length=1, max_length=512)]


class EmailRequest(ApiModel):
    email: NormalizedEmail
    app_id: AppIdField


class VerifyEmailRequest(ApiModel):
    token: LinkToken


class ResetPasswordRequest(ApiModel):
    token: LinkToken
    password: NewPassword


TotpCode = Annotated[
    str, Field(pattern=r"^[0-9]{6}$", description="6 digits", examples=["123456"])
]
BackupCode = Annotated[
    str, Field(min_length=1, max_length=64, examples=["k7m2q-9xw4p"]), NoNul
]


class TwoFactorSetupResponse(ApiModel):
    secret: str = Field(description="Base32, for typing into an authenticator")
    otpauth_uri: str
    qr_code: str = Field(description="The otpauth URI as a PNG data: URI")


class SetUpTwoFactorRequest(ApiModel):
    password: GivenPassword = Field(description="The current password")


class EnableTwoFactorRequest(ApiModel):
    code: TotpCode
    password: GivenPassword = Field(description="The current password")


class BackupCodesResponse(ApiModel):
    backup_codes: list[str] = Field(
        description="Single-use codes for when the authenticator is lost; "
        "shown this once"
    )


class SecondFactorFields(ApiModel):
    code: TotpCode | None = None
    backup_code: BackupCode | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecondFactorFields:
        if (self.code is None) == (self.backup_code is None):
            raise ValueError("give either code or backupCode")
        return self


class VerifyTwoFactorRequest(SecondFactorFields):
    challenge_token: Annotated[str, Field(min_length=1, max_length=4096)]


class DisableTwoFactorRequest(SecondFactorFields):
    password: GivenPassword


class NewBackupCodesRequest(SecondFactorFields):
    password: GivenPassword


class DeleteAccountRequest(ApiModel):
    password: GivenPassword


class ExportedSession(ApiModel):
    id: uuid.UUID
    device_id: str | None
    device_name: str | None
    ip_address: str | None
    user_agent: str | None
    created_at: datetime
    last_activity_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class ExportedEvent(ApiModel):
    event_type: str
    ip_address: str | None
    user_agent: str | None
    metadata: dict[str, Any] | None
    created_at: datetime


class AccountExport(ApiModel):
    exported_at: datetime
    profile: Me
    two_factor_enabled: bool
    sessions: list[ExportedSession]
    security_events: list[ExportedEvent]
    balance: BalanceResponse | None
    ledger: list[TransactionResponse]
    purchases: list[PurchaseResponse]
