"""The request being served, as every log line and error answer of it sees
it: its id and, once known, the user's.

The middleware puts one mutable `RequestContext` in a context variable for
the whole request; code deeper down fills in the user on that same object,
so the middleware sees it afterwards even where a framework ran the
endpoint in a copied context.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestContext:
    request_id: str
    user_id: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar(
    "mana_request_context", default=None
)


def current() -> RequestContext | None:
    return _current.get()


def current_request_id() -> str | None:
    context = _current.get()
    return context.request_id if context else None


@contextmanager
def request_context(request_id: str) -> Iterator[RequestContext]:
    context = RequestContext(request_id)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def note_user(user_id: uuid.UUID | str) -> None:
    """Record whose request this is, for its log line."""
    context = _current.get()
    if context is not None:
        context.user_id = str(user_id)
