"""Who is calling: a verified access token whose session is still live."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from auth_tables.tables import Role
from mana_core_auth.errors import Forbidden, Unauthorized
from mana_core_auth.observability.context import note_user
from mana_core_auth.security.tokens import AccessClaims, InvalidToken, TokenService
from mana_core_auth.sql import fetch_one

bearer = HTTPBearer(auto_error=False, description="Access token from /auth/login")


async def get_token_service(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


_LIVE_SESSION = """
SELECT EXISTS (
    SELECT 1 FROM auth.sessions AS session
    JOIN auth.users AS account ON account.id = session.user_id
    WHERE session.family_id = $1 AND session.user_id = $2
      AND session.revoked_at IS NULL AND session.expires_at > now()
      AND account.deleted_at IS NULL
) AS live
"""


async def session_is_live(claims: AccessClaims) -> bool:
    """The token's session is neither revoked nor expired and its user is
    not deleted. Checked on every request, so logout takes effect at once."""
    row = await fetch_one(_LIVE_SESSION, claims.session_id, claims.user_id)
    return bool(row and row["live"])


async def authenticate(tokens: TokenService, token: str) -> AccessClaims:
    """:raises Unauthorized: unless `token` is a live access token."""
    try:
        claims = tokens.decode_access_token(token)
    except InvalidToken as error:
        raise Unauthorized("Invalid or expired token") from error
    if not await session_is_live(claims):
        raise Unauthorized("Session has ended")
    note_user(claims.user_id)
    return claims


async def require_principal(
    tokens: Annotated[TokenService, Depends(get_token_service)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AccessClaims:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Missing bearer token")
    return await authenticate(tokens, credentials.credentials)


Principal = Annotated[AccessClaims, Depends(require_principal)]


def require_role(*roles: Role) -> Any:
    """A dependency that lets only callers with one of `roles` through."""
    allowed = {role.value for role in roles}

    async def dependency(principal: Principal) -> AccessClaims:
        if principal.role not in allowed:
            raise Forbidden("This needs the role " + " or ".join(sorted(allowed)))
        return principal

    return Depends(dependency)
