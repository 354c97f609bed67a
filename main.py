"""The ASGI application: `uvicorn main:app`."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from mana_core_auth.api import build_api
from mana_core_auth.auth.revocation import (
    RevocationWatch,
    listening_connection,
    window_seconds,
)
from mana_core_auth.background import background_work
from mana_core_auth.errors import DATABASE_UNAVAILABLE, EXCEPTION_HANDLERS
from mana_core_auth.header_limit import HeaderSizeLimit
from mana_core_auth.hot_routes import HotRoutes
from mana_core_auth.middleware import BodySizeLimit
from mana_core_auth.migrations.pending import pending_migrations
from mana_core_auth.observability.endpoint import metrics_route
from mana_core_auth.observability.log_format import configure_logging
from mana_core_auth.observability.requests import ObservedStarlette
from mana_core_auth.security.keys import load_key_set
from mana_core_auth.security.tokens import TokenService
from mana_core_auth.security_headers import SecurityHeaders
from mana_core_auth.settings import Environment, Settings, get_settings
from mana_core_auth.sql import engine, release_without_reset
from mana_core_auth.studio.on_demand import AdminOnDemand

logger = logging.getLogger("mana_core_auth")


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    try:
        pending = await pending_migrations()
    except DATABASE_UNAVAILABLE as error:
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": "database unreachable",
                "error": type(error).__name__,
            },
            status_code=503,
        )
    if pending:
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": "migrations pending",
                "pending": pending,
            },
            status_code=503,
        )
    return JSONResponse({"status": "ready"})


async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(
        request.app.state.tokens.keys.jwks,
        headers={"Cache-Control": "public, max-age=300"},
    )


def create_app(settings: Settings) -> Starlette:
    configure_logging(settings)
    tokens = TokenService(settings, load_key_set(settings))
    revocations = RevocationWatch(
        lambda: listening_connection(
            settings.migration_database_url or engine().config["dsn"]
        ),
        window_seconds=window_seconds(settings),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = engine()
        await db.start_connection_pool(
            min_size=settings.database_pool_min,
            max_size=settings.database_pool_max,
            reset=release_without_reset,
        )
        # The ~96k objects made at start-up live as long as the process; a
        # full collection scanning them takes ~22 ms, which showed as the p99
        # latency. Frozen, the collector leaves them alone. Only the young
        # generations are collected first: a full collection here found
        # nothing the collections during the imports had not, and took 50-60
        # ms of every worker's start.
        gc.collect(1)
        gc.freeze()
        try:
            async with background_work(settings, db, revocations):
                yield
        finally:
            await db.close_connection_pool()

    fastapi_app = build_api(settings, tokens, revocations)
    api = Mount("/api/v1", fastapi_app)
    hot_routes = HotRoutes(
        api,
        settings=settings,
        tokens=tokens,
        revocations=revocations,
        key_hasher=fastapi_app.state.api_key_hasher,
        two_factor_keys=fastapi_app.state.two_factor_keys,
        session_keys=fastapi_app.state.session_keys,
    )
    header_limit = (
        [Middleware(HeaderSizeLimit, max_bytes=settings.max_header_bytes)]
        if settings.max_header_bytes
        else []
    )
    app = ObservedStarlette(
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            Route("/.well-known/jwks.json", jwks),
            *metrics_route(settings),
            *hot_routes.routes(),
            api,
            Mount("/admin/", AdminOnDemand(settings)),
        ],
        middleware=[
            Middleware(
                SecurityHeaders,
                production=settings.environment is Environment.production,
            ),
            *header_limit,
            Middleware(BodySizeLimit),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["*"],
                allow_headers=["Authorization", "Content-Type"],
            ),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.tokens = tokens
    return app


app = create_app(get_settings())
