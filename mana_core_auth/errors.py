"""The service's one error type and the JSON envelope every error answer uses.

The envelope is the original service's `{statusCode, message, errors?,
timestamp, path}` plus a stable machine-readable `code` and the `requestId`
that the answer's `X-Request-ID` header and log lines carry.
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

from mana_core_auth.observability.context import current_request_id
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


class Forbidden(AppError):
    status_code = 403
    code = "FORBIDDEN"
    message = "Forbidden"


class NotFound(AppError):
    status_code = 404
    code = "NOT_FOUND"
    message = "Not found"


class Conflict(AppError):
    status_code = 409
    code = "CONFLICT"
    message = "Conflict"


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
    # #784, #1069); tests/deploy/test_database_restart.py restarts it under load.
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
    if request_id := current_request_id():
        body["requestId"] = request_id
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
