"""A bound on the total size of a request's headers.

uvicorn's default HTTP parser (httptools) takes headers of any size: one
8 MiB header reached the routes. This middleware refuses requests whose
header lines (name, ": ", value, CRLF) add up to more than
`MAX_HEADER_BYTES` with 431 in the error envelope, before any route reads
them. It cannot stop the server from buffering what arrives first: a proxy
in front (or uvicorn's h11 parser, bounded with `server_header_allowance`)
does that.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from mana_core_auth.errors import envelope

# ": " and CRLF around each header's name and value on the wire.
HEADER_LINE_OVERHEAD = 4
# uvicorn's h11 parser bounds the request line and the headers together;
# this much beyond MAX_HEADER_BYTES is left to it, so that a request just
# over the limit still gets the envelope from the middleware.
REQUEST_LINE_ALLOWANCE = 8192
# h11's own default, kept when the app sets no limit (MAX_HEADER_BYTES=0).
H11_DEFAULT_HEADER_BYTES = 16 * 1024


def server_header_allowance(max_header_bytes: int) -> int:
    """What to pass uvicorn as `h11_max_incomplete_event_size`."""
    return (max_header_bytes or H11_DEFAULT_HEADER_BYTES) + REQUEST_LINE_ALLOWANCE


class HeaderSizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self._too_large(scope):
            response = envelope(
                Request(scope),
                431,
                f"Request headers larger than {self.max_bytes} bytes in total",
                "REQUEST_HEADER_FIELDS_TOO_LARGE",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _too_large(self, scope: Scope) -> bool:
        total = 0
        for name, value in scope["headers"]:
            total += len(name) + len(value) + HEADER_LINE_OVERHEAD
        return total > self.max_bytes
