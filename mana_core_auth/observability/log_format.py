"""How log lines look: one JSON object per line in production (the
service's own lines, uvicorn's and the request log alike), readable text in
development. Every line written during a request carries its request id
(and the user's id once known).

Nothing here decides what is logged; callers never log a password, token,
hash or key. As a second line of defence, text shaped like a bearer token,
a JWT or a password hash is masked in every line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from mana_core_auth.observability.context import current
from mana_core_auth.settings import Settings

HANDLER_NAME = "mana_core_auth"
# Fields of the request log line, passed as `extra`, copied into the JSON.
REQUEST_FIELDS = ("method", "route", "status", "duration_ms", "client_ip")

_SECRET_SHAPES = re.compile(
    r"(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"  # Authorization header values
    r"|eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"  # JWTs
    r"|\$argon2(?:id|i|d)\$[^\s\"']+"  # argon2 hashes
    r"|\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}"  # bcrypt hashes
)


def mask_secrets(text: str) -> str:
    return _SECRET_SHAPES.sub("[masked]", text)


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` to every record: the current
    request's, or None outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current()
        record.request_id = context.request_id if context else None
        record.user_id = context.user_id if context else None
        return True


# `json.dumps` with options builds an encoder per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask_secrets(record.getMessage()),
        }
        for name in ("request_id", "user_id", *REQUEST_FIELDS):
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = mask_secrets(self.formatException(record.exc_info))
        return _ENCODER.encode(entry)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)-7s %(name)s [%(request)s] %(message)s"
        )

    def format(self, record: logging.LogRecord) -> str:
        record.request = getattr(record, "request_id", None) or "-"
        return mask_secrets(super().format(record))


def _own_handler(settings: Settings) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter() if settings.logs_json else TextFormatter())
    return handler


def _replace_own_handler(logger: logging.Logger, handler: logging.Handler) -> None:
    for old in [h for h in logger.handlers if h.get_name() == HANDLER_NAME]:
        logger.removeHandler(old)
    logger.addHandler(handler)


def configure_logging(settings: Settings) -> None:
    """Set up the log lines of this process; safe to call again.

    JSON: the service's handler on the root logger, and uvicorn's loggers
    sent there too. Text: the same handler, but only if nothing else has set
    up the root logger (a test runner, a host application). When the
    service logs requests itself, uvicorn's access log is switched off
    (uvicorn checks for its handlers on every new connection)."""
    # No line shows the thread, process or source line of its call; not
    # looking them up halves what a request's log line costs (the logging
    # HOWTO's "Optimization").
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    root = logging.getLogger()
    level = settings.log_level.upper()
    handler = _own_handler(settings)
    if settings.logs_json:
        _replace_own_handler(root, handler)
        root.setLevel(level)
        uvicorn = logging.getLogger("uvicorn")
        uvicorn.handlers = []
        uvicorn.propagate = True
    elif not [h for h in root.handlers if h.get_name() != HANDLER_NAME]:
        _replace_own_handler(root, handler)
        root.setLevel(level)
    access = logging.getLogger("uvicorn.access")
    if settings.logs_requests:
        access.handlers = []
        access.propagate = False
    elif settings.logs_json:
        access.handlers = []
        access.propagate = True
