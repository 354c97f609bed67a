"""The outermost layer of the app: every request gets an id, returned as
`X-Request-ID` and carried by every log line and error answer of it, is
counted in the metrics under its route template, and gets one log line.

It wraps Starlette's own error layer (`ObservedStarlette`), so that an
unhandled error's 500 is counted and carries the id like any other answer.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mana_core_auth.auth.client_ip import client_ip, trusted_networks
from mana_core_auth.observability import metrics
from mana_core_auth.observability.context import request_context
from mana_core_auth.settings import Settings

logger = logging.getLogger("mana_core_auth.requests")

REQUEST_ID_HEADER = b"x-request-id"
# What a proxy's id may look like: enough for UUIDs, hex and trace ids, and
# nothing that could break a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _from_trusted_proxy(scope: Scope, forwarded_allow_ips: str) -> bool:
    """The connection comes from a proxy in FORWARDED_ALLOW_IPS.

    uvicorn's proxy-headers layer runs first and, for a trusted peer only,
    replaces the peer's address with the client's from X-Forwarded-For, with
    port 0 (no TCP peer has port 0). So a port-0 client next to an
    X-Forwarded-For header means the peer was trusted."""
    networks = trusted_networks(forwarded_allow_ips)
    if networks is None:
        return True
    client = scope.get("client")
    if not client:
        return False
    host, port = client
    if port == 0 and _header(scope, b"x-forwarded-for") is not None:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def request_id_for(scope: Scope, forwarded_allow_ips: str) -> str:
    """The proxy's `X-Request-ID` if a trusted proxy sent a well-formed one,
    else a new id."""
    incoming = _header(scope, REQUEST_ID_HEADER)
    if incoming is not None:
        text = incoming.decode("latin-1")
        if _REQUEST_ID.fullmatch(text) and _from_trusted_proxy(
            scope, forwarded_allow_ips
        ):
            return text
    return uuid.uuid4().hex


def route_template(scope: Scope, status: int) -> str:
    """The template of the route that answered (`/api/v1/auth/sessions/
    {session_id}`), from what the routers left in the scope; `unmatched`
    when none did."""
    route = scope.get("route")
    if route is None:
        return metrics.UNMATCHED_ROUTE
    prefix = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    if isinstance(route, Mount):
        # A mount whose app is no router (static files), or whose router
        # found nothing.
        if status == 404:
            return metrics.UNMATCHED_ROUTE
        return prefix + "/{path}"
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return metrics.UNMATCHED_ROUTE
    return prefix + path


class RequestObserver:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.forwarded_allow_ips = settings.forwarded_allow_ips
        self.counts = settings.serves_metrics
        self.logs = settings.logs_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        finished = 0.0
        status = 500
        request_id = request_id_for(scope, self.forwarded_allow_ips)
        id_header = (REQUEST_ID_HEADER, request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status, finished
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            elif message["type"] == "http.response.body" and not message.get(
                "more_body", False
            ):
                # Background tasks run after this; they are not the answer's time.
                finished = time.perf_counter()
            await send(message)

        with request_context(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = (finished or time.perf_counter()) - started
                route = route_template(scope, status)
                if self.counts:
                    metrics.observe_request(scope["method"], route, status, seconds)
                if self.logs:
                    ip = client_ip(Request(scope), self.forwarded_allow_ips)
                    logger.info(
                        "%s %s %d %.1f ms",
                        scope["method"],
                        route,
                        status,
                        seconds * 1000,
                        extra={
                            "method": scope["method"],
                            "route": route,
                            "status": status,
                            "duration_ms": round(seconds * 1000, 2),
                            "client_ip": ip,
                        },
                    )


class ObservedStarlette(Starlette):
    """Starlette with `RequestObserver` outside its error layer. Reads the
    settings from `app.state.settings`."""

    def build_middleware_stack(self) -> ASGIApp:
        return RequestObserver(super().build_middleware_stack(), self.state.settings)
