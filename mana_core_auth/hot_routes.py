"""The two routes apps call on nearly every request of theirs, validate and
balance, answered without FastAPI's per-request layers when the request has
the shape nearly all of them have.

In a profile of validate, FastAPI's dependency solving, body parsing and
response re-validation were 40 % of a worker's time, and the endpoint itself
4 %. Here a well-formed request (validate: a JSON body of exactly `{"token":
"..."}` and no API key; balance: a user's bearer token whose session is
live) is answered by the same service functions and the same response
models, serialised as FastAPI serialises them. Everything else (API keys,
malformed bodies, invalid tokens, extra parameters) goes on to the FastAPI
route, which answers it as it always has: its errors, its OpenAPI entry and
its tests are the contract, and `tests/mana_core_auth/test_hot_routes.py`
compares both ways byte for byte.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.datastructures import Headers
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mana_core_auth.api_keys.keys import looks_like_key
from mana_core_auth.api_keys.scopes import Scope as ApiScope
from mana_core_auth.api_keys.scopes import session_scopes
from mana_core_auth.auth.principal import authenticate
from mana_core_auth.auth.revocation import RevocationWatch
from mana_core_auth.auth.schemas import ValidateResponse
from mana_core_auth.credits.daily_grant import read_balance
from mana_core_auth.credits.schemas import BalanceResponse
from mana_core_auth.errors import Unauthorized
from mana_core_auth.request_body import read_body, replaying
from mana_core_auth.security.tokens import TokenService
from mana_core_auth.settings import Settings

MAX_TOKEN_LENGTH = 8192


def _bearer(headers: Headers) -> str | None:
    """The bearer credential, parsed as FastAPI's `HTTPBearer` parses it."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials


async def _json(send: Send, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", b"application/json"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _Asgi:
    """A coroutine `(scope, receive, send)` as a Starlette endpoint: a plain
    function or method would be taken for a request-response endpoint."""

    def __init__(self, handler: ASGIApp) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handler(scope, receive, send)


class HotRoutes:
    def __init__(
        self,
        api: Mount,
        *,
        settings: Settings,
        tokens: TokenService,
        revocations: RevocationWatch,
    ) -> None:
        self.api = api
        self.settings = settings
        self.tokens = tokens
        self.revocations = revocations

    def routes(self) -> list[Route]:
        """To be placed before the API's mount."""
        return [
            Route(
                f"{self.api.path}/auth/validate", _Asgi(self.validate), methods=["POST"]
            ),
            Route(
                f"{self.api.path}/credits/balance", _Asgi(self.balance), methods=["GET"]
            ),
        ]

    async def _to_api(self, scope: Scope, receive: Receive, send: Send) -> None:
        # In place, as the router would: the request log reads the route
        # the FastAPI router records in this scope.
        _, child_scope = self.api.matches(scope)
        scope.update(child_scope)
        await self.api.app(scope, receive, send)

    async def validate(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        body = await read_body(receive)
        token = self._token_of(headers, body)
        if token is None:
            await self._to_api(scope, replaying(body, receive), send)
            return
        try:
            claims = await authenticate(self.tokens, token, self.revocations)
        except Unauthorized as error:
            answer = ValidateResponse(valid=False, error=error.message)
        else:
            answer = ValidateResponse(valid=True, payload=claims.raw)
        await _json(send, answer.model_dump_json(by_alias=True).encode())

    @staticmethod
    def _token_of(headers: Headers, body: bytes) -> str | None:
        """The token of a request of the common shape; None for any other."""
        credential = _bearer(headers)
        if credential is not None and looks_like_key(credential):
            return None
        content_type = headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.keys() != {"token"}:
            return None
        token = data["token"]
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
            return None
        if "\x00" in token:
            return None
        return token

    async def balance(self, scope: Scope, receive: Receive, send: Send) -> None:
        credential = _bearer(Headers(scope=scope))
        if (
            scope["method"] != "GET"
            or scope["query_string"]
            or credential is None
            or looks_like_key(credential)
        ):
            await self._to_api(scope, receive, send)
            return
        try:
            claims = await authenticate(self.tokens, credential, self.revocations)
        except Unauthorized:
            await self._to_api(scope, receive, send)
            return
        if ApiScope.credits_read not in session_scopes(claims.role):
            await self._to_api(scope, receive, send)
            return
        view = await read_balance(
            claims.user_id, now=datetime.now(UTC), settings=self.settings
        )
        answer = BalanceResponse.model_validate(view)
        await _json(send, answer.model_dump_json(by_alias=True).encode())
