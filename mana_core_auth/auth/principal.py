"""Who is calling: a verified access token whose session is still live."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from auth_tables.tables import Role, Session
from mana_core_auth.errors import Forbidden, Unauthorized
from mana_core_auth.security.tokens import AccessClaims, InvalidToken, TokenService

bearer = HTTPBearer(auto_error=False, description="Access token from /auth/login")


def get_token_service(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


async def session_is_live(claims: AccessClaims) -> bool:
    """The token's session is neither revoked nor expired and its user is
    not deleted. Checked on every request, so logout takes effect at once."""
    return await Session.exists().where(
        (Session.family_id == claims.session_id)
        & (Session.user == claims.user_id)
        & Session.revoked_at.is_null()
        & (Session.expires_at > datetime.now(UTC))
        & Session.user.deleted_at.is_null()
    )


async def authenticate(tokens: TokenService, token: str) -> AccessClaims:
    """:raises Unauthorized: unless `token` is a live access token."""
    try:
        claims = tokens.decode_access_token(token)
    except InvalidToken as error:
        raise Unauthorized("Invalid or expired token") from error
    if not await session_is_live(claims):
        raise Unauthorized("Session has ended")
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
