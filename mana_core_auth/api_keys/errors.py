"""Errors of API keys and of acting with one; codes are stable."""

from __future__ import annotations

from mana_core_auth.errors import AppError, Conflict, Forbidden, NotFound, Unauthorized


class InvalidApiKey(Unauthorized):
    """Unknown, malformed, revoked or expired, or its user is deleted."""

    code = "INVALID_API_KEY"
    message = "Invalid API key"


class InsufficientScope(Forbidden):
    code = "INSUFFICIENT_SCOPE"
    message = "This needs a scope the caller does not have"


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"
    message = "No such API key"


class ApiKeyLimitReached(Conflict):
    code = "API_KEY_LIMIT_REACHED"
    message = "Too many API keys; revoke one first"


class InvalidApiKeyRequest(AppError):
    """Scopes or an expiry a key cannot have."""

    code = "INVALID_API_KEY_REQUEST"


class UserIdRequired(AppError):
    code = "USER_ID_REQUIRED"
    message = "A service key names the user to act for in `userId`"


class OtherUserForbidden(Forbidden):
    code = "OTHER_USER_FORBIDDEN"
    message = "Only a service key may act for another user"


class UnknownUser(NotFound):
    code = "USER_NOT_FOUND"
    message = "No such user"
