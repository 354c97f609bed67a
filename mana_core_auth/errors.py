"""The service's one error type and the JSON envelope every error answer uses.

The envelope is the original service's `{statusCode, message, errors?,
timestamp, path}` plus a stable machine-readable `code`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from mana_core_auth.validation_messages import explain

logger = logging.getLogger(__name__)


class AppError(Exception):
    """Base for every error the service answers with on purpose."""

    status_code = 400
    code = "BAD_REQUEST"
    message = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.errors = errors
        self.headers = headers


class Unauthorized(AppError):
    status_code = 401
    code = "UNAUTHORIZED"
    message = "Unauthorized"


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


class Forbidden(AppError):
    status_code = 403
    code = "FORBIDDEN"
    message = "Forbidden"


class EmailNotVerified(Forbidden):
    code = "EMAIL_NOT_VERIFIED"
    message = "Verify your email address before logging in"


class NotFound(AppError):
    status_code = 404
    code = "NOT_FOUND"
    message = "Not found"


class Conflict(AppError):
    status_code = 409
    code = "CONFLICT"
    message = "Conflict"


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


class TooManyRequests(AppError):
    status_code = 429
    code = "TOO_MANY_REQUESTS"
    message = "Too many requests"

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(
            message, headers={"Retry-After": str(max(1, retry_after_seconds))}
        )
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailable(AppError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"
    message = "Service temporarily unavailable, try again"


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    431: "REQUEST_HEADER_FIELDS_TOO_LARGE",
    503: "SERVICE_UNAVAILABLE",
}

# Errors that mean "the database is not reachable or is shedding load right
# now", which a client may retry; everything else unexpected is a 500.
DATABASE_UNAVAILABLE = (
    OSError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.QueryCanceledError,
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.InterfaceError,
    # When PostgreSQL shuts down, a pooled connection can get the server's
    # last error before it sees the socket close; using it (or resetting it
    # on release) then fails with "cannot switch to state N; another
    # operation (2) is in progress", and the pool drops it (asyncpg issues
    # #784, #1069). Seen as 500s in tests/deploy/test_database_restart.py.
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)


def envelope(
    request: Request,
    status_code: int,
    message: str,
    code: str,
    errors: list[Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "statusCode": status_code,
        "code": code,
        "message": message,
        "timestamp": datetime.now(UTC).isoformat(),
        "path": request.url.path,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status_code, headers=headers)


async def app_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return envelope(
        request, exc.status_code, exc.message, exc.code, exc.errors, exc.headers
    )


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
    return envelope(
        request, exc.status_code, str(exc.detail), code, headers=exc.headers
    )


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    refused = explain(request, exc.errors(), exc.body)
    return envelope(
        request, refused.status_code, refused.message, refused.code, refused.errors
    )


async def database_unavailable_handler(
    request: Request, exc: Exception
) -> JSONResponse:
    logger.warning("database unavailable: %s", type(exc).__name__)
    return envelope(
        request,
        503,
        ServiceUnavailable.message,
        "DATABASE_UNAVAILABLE",
        headers={"Retry-After": "1"},
    )


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path
    )
    return envelope(request, 500, "Internal server error", "INTERNAL_ERROR")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: app_error_handler,
    HTTPException: http_error_handler,
    RequestValidationError: validation_error_handler,
    **{error: database_unavailable_handler for error in DATABASE_UNAVAILABLE},
    Exception: unexpected_error_handler,
}
