"""`GET /metrics`: Prometheus' text format, all workers added up.

Served only when `serves_metrics` (by default everywhere but production,
where METRICS_ENABLED=true turns it on); with METRICS_TOKEN it asks for
that token as a bearer token.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mana_core_auth.errors import Unauthorized
from mana_core_auth.observability import metrics
from mana_core_auth.settings import Settings
from mana_core_auth.sql import engine


def _authorized(request: Request, token: str) -> bool:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode(), token.encode()
    )


def metrics_route(settings: Settings) -> list[Route]:
    """The route to mount at the top level, or none when metrics are off."""
    if not settings.serves_metrics:
        return []
    token = (
        settings.metrics_token.get_secret_value() if settings.metrics_token else None
    )

    async def serve_metrics(request: Request) -> Response:
        if token is not None and not _authorized(request, token):
            raise Unauthorized("This needs METRICS_TOKEN as a bearer token")
        metrics.sample_pool(engine().pool)
        body, content_type = metrics.render(request.headers.get("accept", ""))
        return Response(body, headers={"Content-Type": content_type})

    return [Route("/metrics", serve_metrics, methods=["GET"])]
