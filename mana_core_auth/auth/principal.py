"""Who is calling: a verified access token whose session is still live.

Routes that API keys may call too take `auth.caller.Caller`; the routes
here need a user's session.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from auth_tables.tables import Role
from mana_core_auth.api_keys.authentication import authenticate_key, record_rejection
from mana_core_auth.api_keys.errors import InsufficientScope
from mana_core_auth.api_keys.keys import looks_like_key
from mana_core_auth.auth.client_ip import client_info
from mana_core_auth.auth.revocation import RevocationWatch
from mana_core_auth.dependencies import Tokens
from mana_core_auth.errors import Forbidden, Unauthorized
from mana_core_auth.observability.context import note_user
from mana_core_auth.security.tokens import AccessClaims, InvalidToken, TokenService
from mana_core_auth.sql import fetch_one

bearer = HTTPBearer(
    auto_error=False,
    description="Access token from /auth/login, or an API key (mk_svc_…, mk_live_…)",
)


_LIVE_SESSION = """
SELECT EXISTS (
    SELECT 1 FROM auth.sessions AS session
    JOIN auth.users AS account ON account.id = session.user_id
    WHERE session.family_id = $1 AND session.user_id = $2
      AND session.revoked_at IS NULL AND session.expires_at > now()
      AND account.deleted_at IS NULL
) AS live
"""


async def session_is_live(claims: AccessClaims, watch: RevocationWatch | None) -> bool:
    """The token's session is neither revoked nor expired and its user is
    not deleted. Checked on every request, so logout takes effect at once:
    from the worker's revocation watch, or in the database when the watch
    cannot tell."""
    known = watch.is_live(claims) if watch is not None else None
    if known is not None:
        return known
    row = await fetch_one(_LIVE_SESSION, claims.session_id, claims.user_id)
    return bool(row and row["live"])


async def authenticate(
    tokens: TokenService, token: str, watch: RevocationWatch | None
) -> AccessClaims:
    """:raises Unauthorized: unless `token` is a live access token."""
    try:
        claims = tokens.decode_access_token(token)
    except InvalidToken as error:
        raise Unauthorized("Invalid or expired token") from error
    if not await session_is_live(claims, watch):
        raise Unauthorized("Session has ended")
    note_user(claims.user_id)
    return claims


async def require_principal(
    request: Request,
    tokens: Tokens,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AccessClaims:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Missing bearer token")
    if looks_like_key(credentials.credentials):
        await refuse_api_key(request, credentials.credentials)
    return await authenticate(
        tokens, credentials.credentials, request.app.state.revocations
    )


async def refuse_api_key(request: Request, presented: str) -> NoReturn:
    """Routes that need a user's session: an unusable key is 401, a usable
    one 403 (routes open to keys take `auth.caller.Caller` instead).

    :raises InvalidApiKey: unless the key is usable.
    :raises InsufficientScope: otherwise.
    """
    client = client_info(request, request.app.state.settings.forwarded_allow_ips)
    identity = await authenticate_key(
        request.app.state.api_key_hasher, presented, client
    )
    await record_rejection(identity, client, "session_required")
    raise InsufficientScope("This needs a user's session; API keys cannot call it")


Principal = Annotated[AccessClaims, Depends(require_principal)]


def require_role(*roles: Role) -> Any:
    """A dependency that lets only callers with one of `roles` through."""
    allowed = {role.value for role in roles}

    async def dependency(principal: Principal) -> AccessClaims:
        if principal.role not in allowed:
            raise Forbidden("This needs the role " + " or ".join(sorted(allowed)))
        return principal

    return Depends(dependency)
