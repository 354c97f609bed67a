"""Who is calling, for routes that API keys may call too: a user's live
session or an API key, with its scopes. Every such route asks one
question, through `allow(scope)`: may this caller do this?

A bearer credential with an API key's prefix is looked up as a key (never
decoded as a JWT); anything else is an access token, checked as before.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from mana_core_auth.api_keys.authentication import (
    ApiKeyIdentity,
    authenticate_key,
    count_use,
    record_rejection,
)
from mana_core_auth.api_keys.dependencies import AppKeyHasher
from mana_core_auth.api_keys.errors import InsufficientScope, UserIdRequired
from mana_core_auth.api_keys.keys import KeyHasher, looks_like_key
from mana_core_auth.api_keys.scopes import ROLE_SCOPES, Scope, session_scopes
from mana_core_auth.auth.client_ip import ClientInfo
from mana_core_auth.auth.principal import authenticate, bearer
from mana_core_auth.auth.revocation import RevocationWatch
from mana_core_auth.dependencies import Client, Tokens
from mana_core_auth.errors import Forbidden, Unauthorized
from mana_core_auth.security.tokens import AccessClaims, TokenService


@dataclass(frozen=True)
class Caller:
    """Exactly one of `session` (a user's access token) and `key`."""

    session: AccessClaims | None = None
    key: ApiKeyIdentity | None = None

    @property
    def user_id(self) -> uuid.UUID | None:
        """The user this caller is: the session's, a personal key's owner;
        None for a service key, which acts for users it names."""
        if self.session is not None:
            return self.session.user_id
        assert self.key is not None
        return self.key.user_id

    @property
    def scopes(self) -> frozenset[Scope]:
        if self.session is not None:
            return session_scopes(self.session.role)
        assert self.key is not None
        return self.key.scopes

    def may(self, scope: Scope) -> bool:
        return scope in self.scopes

    def own_user_id(self) -> uuid.UUID:
        """:raises UserIdRequired: for a service key, which is no user."""
        if self.user_id is None:
            raise UserIdRequired()
        return self.user_id

    @property
    def actor(self) -> str:
        """Who did it, for the ledger: `role:user id` or `api_key:key id`."""
        if self.session is not None:
            return f"{self.session.role}:{self.session.user_id}"
        assert self.key is not None
        return f"api_key:{self.key.id}"


async def identify(
    presented: str,
    *,
    tokens: TokenService,
    watch: RevocationWatch | None,
    hasher: KeyHasher,
    client: ClientInfo,
) -> Caller:
    """:raises Unauthorized: unless `presented` is a live access token or a
    usable key. :raises TooManyRequests: if the key's rate limit is reached."""
    if looks_like_key(presented):
        key = await authenticate_key(hasher, presented, client)
        await count_use(key)
        return Caller(key=key)
    return Caller(session=await authenticate(tokens, presented, watch))


async def require_caller(
    request: Request,
    tokens: Tokens,
    hasher: AppKeyHasher,
    client: Client,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Missing bearer token")
    return await identify(
        credentials.credentials,
        tokens=tokens,
        watch=request.app.state.revocations,
        hasher=hasher,
        client=client,
    )


async def demand(caller: Caller, scope: Scope, client: ClientInfo) -> None:
    """:raises Forbidden: unless the caller may `scope`: for a key,
    `INSUFFICIENT_SCOPE` (recorded as `api_key_rejected`); for a session,
    the role it would need."""
    if caller.may(scope):
        return
    if caller.key is not None:
        await record_rejection(
            caller.key, client, "insufficient_scope", scope=scope.value
        )
        raise InsufficientScope(f"This API key does not have the scope {scope.value}")
    if scope in ROLE_SCOPES:
        raise Forbidden(
            "This needs the role " + " or ".join(sorted(ROLE_SCOPES[scope]))
        )
    raise InsufficientScope(f"This needs an API key with the scope {scope.value}")


def allow(scope: Scope) -> Any:
    """A dependency: the caller, if it may `scope`."""

    async def dependency(
        caller: Annotated[Caller, Depends(require_caller)], client: Client
    ) -> Caller:
        await demand(caller, scope, client)
        return caller

    return Depends(dependency)


def allow_keys_with(scope: Scope) -> Any:
    """A dependency for routes open to anyone: an API key sent with the
    request must have `scope` (None when none was sent; an access token in
    the header is ignored, as it was before keys existed)."""

    async def dependency(
        hasher: AppKeyHasher,
        client: Client,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller | None:
        if credentials is None or not looks_like_key(credentials.credentials):
            return None
        key = await authenticate_key(hasher, credentials.credentials, client)
        await count_use(key)
        caller = Caller(key=key)
        await demand(caller, scope, client)
        return caller

    return Depends(dependency)
