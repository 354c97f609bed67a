"""Base for request and response models: camelCase on the wire, unknown
request fields refused."""

from __future__ import annotations

from typing import Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


def without_nul(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail there.
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# For every string that is stored or compared in SQL.
NoNul = AfterValidator(without_nul)


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        from_attributes=True,
    )


class MessageResponse(ApiModel):
    message: str


class ErrorResponse(ApiModel):
    """The error envelope (documented in OpenAPI for every route)."""

    status_code: int
    code: str
    message: str
    timestamp: str
    path: str
    errors: list[dict[str, str]] | None = None
    # The answer's X-Request-ID, to quote when reporting a problem.
    request_id: str | None = None


def error_responses(*answers: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for a route's own error answers, beyond those every
    route documents."""
    return {
        status_code: {"model": ErrorResponse, "description": description}
        for status_code, description in answers
    }
