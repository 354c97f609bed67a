"""Security events for what admins do: logins, failures, every write.

The gate in front of the admin knows the client (address per the API's
trusted-proxy rules); it puts it in a context variable for the code deeper in
the admin that records the write.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import Any

from starlette.requests import Request

from auth_tables.tables import SecurityEventType
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.events import record_event

current_client: ContextVar[ClientInfo | None] = ContextVar("admin_client", default=None)


def admin_username(request: Request) -> str:
    """The logged-in admin of a request that passed the admin's session auth."""
    return str(request.user.user.username)


def _client(request: Request | None) -> ClientInfo:
    client = current_client.get()
    if client is not None:
        return client
    host = request.client.host if request is not None and request.client else None
    return ClientInfo(ip_address=host, user_agent=None)


async def record_admin_event(
    event_type: SecurityEventType,
    *,
    admin: str | None,
    request: Request | None = None,
    user_id: uuid.UUID | None = None,
    **metadata: Any,
) -> None:
    """One event with the admin's username in its metadata; `user_id` is the
    service user the action concerned, if any. Callers pass no secret."""
    await record_event(
        event_type,
        user_id=user_id,
        client=_client(request),
        admin=admin,
        **metadata,
    )


async def record_admin_write(
    request: Request,
    *,
    action: str,
    user_id: uuid.UUID | None = None,
    **metadata: Any,
) -> None:
    await record_admin_event(
        SecurityEventType.admin_write,
        admin=admin_username(request),
        request=request,
        user_id=user_id,
        action=action,
        **metadata,
    )
