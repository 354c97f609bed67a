"""Errors of the auth API; codes are stable, apps match on them."""

from __future__ import annotations

from mana_core_auth.errors import AppError, Conflict, Forbidden, Unauthorized


class InvalidCredentials(Unauthorized):
    """Unknown email, wrong password or deleted account: one answer for all,
    so that it does not tell which emails have accounts."""

    code = "INVALID_CREDENTIALS"
    message = "Invalid email or password"


class InvalidRefreshToken(Unauthorized):
    code = "INVALID_REFRESH_TOKEN"
    message = "Invalid or expired refresh token"


class InvalidCurrentPassword(AppError):
    code = "INVALID_CURRENT_PASSWORD"
    message = "The current password is not correct"


class WeakPassword(AppError):
    code = "WEAK_PASSWORD"
    message = "This password is too common; choose another"


class InvalidLinkToken(AppError):
    """An email-verification or password-reset token that is unknown,
    used, superseded by a newer one, or expired."""

    code = "INVALID_OR_EXPIRED_TOKEN"
    message = "This link is invalid or has expired"


class InvalidTwoFactorCode(AppError):
    code = "INVALID_TWO_FACTOR_CODE"
    message = "The code is not correct"


class TwoFactorLoginFailed(Unauthorized):
    """A wrong, used or replayed code while completing a login."""

    code = "INVALID_TWO_FACTOR_CODE"
    message = "The code is not correct"


class InvalidTwoFactorChallenge(Unauthorized):
    code = "INVALID_TWO_FACTOR_CHALLENGE"
    message = "The login challenge is invalid or has expired; log in again"


class EmailNotVerified(Forbidden):
    code = "EMAIL_NOT_VERIFIED"
    message = "Verify your email address before logging in"


class EmailTaken(Conflict):
    code = "EMAIL_TAKEN"
    message = "An account with this email already exists"


class TwoFactorAlreadyEnabled(Conflict):
    code = "TWO_FACTOR_ALREADY_ENABLED"
    message = "Two-factor authentication is already on"


class TwoFactorNotSetUp(Conflict):
    code = "TWO_FACTOR_NOT_SET_UP"
    message = "Start with /auth/2fa/setup"


class TwoFactorNotEnabled(Conflict):
    code = "TWO_FACTOR_NOT_ENABLED"
    message = "Two-factor authentication is off"
