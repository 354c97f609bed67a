"""What a refused request body or query says: messages a person can act on.

pydantic and FastAPI describe what their parser saw ("Input should be a
valid dictionary or object to extract fields from", "JSON decode error" at
field "0", "Value error, ..."); a client needs to hear what to send instead.
"""

from __future__ import annotations

import email.message
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

JSON_REQUIRED = "Send the body as JSON with Content-Type: application/json"
# pydantic's way of saying "not an object" for a model.
_NOT_AN_OBJECT = {"model_attributes_type", "model_type", "dict_type"}
# What pydantic puts before the message of an error raised in a validator.
_LIBRARY_PREFIXES = ("Value error, ", "Assertion failed, ")


@dataclass(frozen=True)
class RefusedRequest:
    status_code: int
    code: str
    message: str
    errors: list[dict[str, str]]


def _declares_json(request: Request) -> bool:
    """The request's Content-Type is JSON, read as FastAPI reads it."""
    value = request.headers.get("content-type")
    if not value:
        return False
    parsed = email.message.Message()
    parsed["content-type"] = value
    subtype = parsed.get_content_subtype()
    return parsed.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _position(document: Any, offset: Any) -> str:
    if not isinstance(document, str) or not isinstance(offset, int):
        return ""
    line = document.count("\n", 0, offset) + 1
    column = offset - document.rfind("\n", 0, offset)
    return f" at line {line}, column {column}"


def _field(location: Sequence[Any]) -> str:
    return ".".join(str(part) for part in location[1:]) or "body"


def _message(error: dict[str, Any], document: Any) -> str:
    kind = error["type"]
    location = tuple(error["loc"])
    if kind == "json_invalid":
        reason = error.get("ctx", {}).get("error", "")
        offset = location[1] if len(location) > 1 else None
        return f"Invalid JSON{_position(document, offset)}: {reason}".rstrip(": ")
    if location == ("body",) and kind == "missing":
        return "A JSON body is required"
    if location == ("body",) and kind in _NOT_AN_OBJECT:
        return "The body must be a JSON object"
    message: str = error["msg"]
    for prefix in _LIBRARY_PREFIXES:
        message = message.removeprefix(prefix)
    return message


def explain(
    request: Request, errors: Sequence[dict[str, Any]], document: Any
) -> RefusedRequest:
    """The answer to a request that failed validation with `errors`;
    `document` is the body as text when it was not valid JSON."""
    if not _declares_json(request) and any(
        tuple(error["loc"]) == ("body",) and error["type"] in _NOT_AN_OBJECT
        for error in errors
    ):
        return RefusedRequest(415, "UNSUPPORTED_MEDIA_TYPE", JSON_REQUIRED, [])
    described = [
        {
            "field": "body"
            if error["type"] == "json_invalid"
            else _field(error["loc"]),
            "message": _message(error, document),
            "type": error["type"],
        }
        for error in errors
    ]
    first = described[0] if described else None
    message = (
        f"Validation failed: {first['field']}: {first['message']}"
        if first
        else "Validation failed"
    )
    if len(described) > 1:
        message += f" (and {len(described) - 1} more)"
    return RefusedRequest(400, "VALIDATION_FAILED", message, described)
