"""The routes apps call on nearly every request of theirs (validate,
balance and spending credits), and logging in, where every moment beside
the password hash counts against the hash's limit: answered without
FastAPI's per-request layers when the request has the shape nearly all of
them have.

In a profile of validate, FastAPI's dependency solving, body parsing and
response re-validation were 40 % of a worker's time, and the endpoint itself
4 %. Here a well-formed request (validate: a JSON body of exactly `{"token":
"..."}` and no API key; balance: a user's bearer token whose session is
live; spending: such a session or an API key, and a JSON body the route's
own request model accepts; login: a JSON body its request model accepts)
is answered by the same service functions and the same models, serialised
as FastAPI serialises them. Everything else (API keys on validate and
balance, malformed bodies, invalid tokens, extra parameters) goes on to the
FastAPI route, which answers it as it always has: its errors, its OpenAPI
entry and its tests are the contract, and
`tests/mana_core_auth/test_hot_routes.py` compares both ways byte for byte.
Errors raised once a request is taken here (a refused key, insufficient
credits, a reused idempotency key, a wrong password) reach the app's own
error handlers, the ones the FastAPI routes answer with.
"""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mana_core_auth.api_keys.keys import KeyHasher, looks_like_key
from mana_core_auth.api_keys.scopes import Scope as ApiScope
from mana_core_auth.api_keys.scopes import session_scopes
from mana_core_auth.auth.caller import Caller, demand, identify
from mana_core_auth.auth.client_ip import client_info
from mana_core_auth.auth.endpoints import log_in_as_requested
from mana_core_auth.auth.principal import authenticate
from mana_core_auth.auth.revocation import RevocationWatch
from mana_core_auth.auth.schemas import LoginRequest, ValidateResponse
from mana_core_auth.credits.endpoints import balance_of, spend_as_requested
from mana_core_auth.credits.schemas import SpendRequest
from mana_core_auth.errors import Unauthorized
from mana_core_auth.request_body import read_body, replaying
from mana_core_auth.security.session_keys import SessionKeys
from mana_core_auth.security.tokens import AccessClaims, TokenService
from mana_core_auth.security.two_factor_keys import TwoFactorKeys
from mana_core_auth.settings import Settings

MAX_TOKEN_LENGTH = 8192

Model = TypeVar("Model", bound=BaseModel)


def _is_json(headers: Headers) -> bool:
    content_type = headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower() == "application/json"


def _bearer(headers: Headers) -> str | None:
    """The bearer credential, parsed as FastAPI's `HTTPBearer` parses it."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials


async def _json(send: Send, body: bytes, *, status: int = 200) -> None:
    """The answer as FastAPI sends a route's response model: pydantic's own
    JSON, which writes some floats unlike `json.dumps` (`1e-7`)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
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
        key_hasher: KeyHasher,
        two_factor_keys: TwoFactorKeys,
        session_keys: SessionKeys,
    ) -> None:
        self.api = api
        self.key_hasher = key_hasher
        self.two_factor_keys = two_factor_keys
        self.session_keys = session_keys
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
            Route(f"{self.api.path}/credits/use", _Asgi(self.spend), methods=["POST"]),
            Route(f"{self.api.path}/auth/login", _Asgi(self.login), methods=["POST"]),
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
        if not _is_json(headers):
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
        claims = None
        if scope["method"] == "GET" and not scope["query_string"]:
            claims = await self._session(
                _bearer(Headers(scope=scope)), ApiScope.credits_read
            )
        if claims is None:
            await self._to_api(scope, receive, send)
            return
        answer = await balance_of(claims.user_id, self.settings)
        await _json(send, answer.model_dump_json(by_alias=True).encode())

    async def _session(
        self, credential: str | None, scope: ApiScope
    ) -> AccessClaims | None:
        """The claims of a live user session that may `scope`; None for
        anything else (no token, an API key, an ended session, a role
        without the scope), which the FastAPI route answers."""
        if credential is None or looks_like_key(credential):
            return None
        try:
            claims = await authenticate(self.tokens, credential, self.revocations)
        except Unauthorized:
            return None
        if scope not in session_scopes(claims.role):
            return None
        return claims

    async def spend(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        body = await read_body(receive)
        request = (
            None if scope["query_string"] else _json_body(SpendRequest, headers, body)
        )
        caller = await self._spender(scope, headers) if request is not None else None
        if request is None or caller is None:
            await self._to_api(scope, replaying(body, receive), send)
            return
        answer = await spend_as_requested(caller, request, self.settings)
        await _json(send, answer.model_dump_json(by_alias=True).encode(), status=201)

    async def _spender(self, scope: Scope, headers: Headers) -> Caller | None:
        """Who spends: a live session that may spend, or an API key with
        `credits:spend`; None to hand the request on. An API key is checked
        here as the route's dependencies check it, with the same records
        of its use and refusals, and a refused key raises the route's own
        errors: checked again by FastAPI, it would be counted twice."""
        credential = _bearer(headers)
        if credential is None or not looks_like_key(credential):
            claims = await self._session(credential, ApiScope.credits_spend)
            return Caller(session=claims) if claims is not None else None
        client = client_info(Request(scope), self.settings.forwarded_allow_ips)
        caller = await identify(
            credential,
            tokens=self.tokens,
            watch=self.revocations,
            hasher=self.key_hasher,
            client=client,
        )
        await demand(caller, ApiScope.credits_spend, client)
        return caller

    async def login(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        request = (
            None
            if scope["query_string"]
            else _json_body(LoginRequest, Headers(scope=scope), body)
        )
        if request is None:
            await self._to_api(scope, replaying(body, receive), send)
            return
        answer = await log_in_as_requested(
            request,
            client=client_info(Request(scope), self.settings.forwarded_allow_ips),
            settings=self.settings,
            tokens=self.tokens,
            keys=self.two_factor_keys,
            session_keys=self.session_keys,
        )
        await _json(send, answer.model_dump_json(by_alias=True).encode())


def _json_body(model: type[Model], headers: Headers, body: bytes) -> Model | None:
    """The body as the route's model reads it, parsed as FastAPI parses a
    JSON body; None for anything FastAPI should answer."""
    if not _is_json(headers):
        return None
    try:
        return model.model_validate(json.loads(body))
    except (ValueError, RecursionError, ValidationError):
        return None
