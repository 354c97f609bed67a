"""What a key may do. Scopes are a closed, documented list; each kind of
key may hold only some of them (`auth_tables.tables.API_KEY_SCOPES`, which
a database check enforces too).

- `credits:read`: the owner's balance, ledger, purchases and usage (`GET
  /credits/...`); personal keys only.
- `credits:spend`: `POST /credits/use`; a service key for the user named in
  `userId`, a personal key for its owner.
- `credits:refund`: `POST /credits/transactions/{id}/refund`; service keys only.
- `auth:validate`: `POST /auth/validate` and `POST /api-keys/validate`;
  service keys only.

A user's session holds `credits:read` and `credits:spend` for that user;
`service` and `admin` sessions also `credits:refund`, as before keys existed.
"""

from __future__ import annotations

from collections.abc import Iterable

from auth_tables.tables import API_KEY_SCOPES, ApiKeyKind, Role
from auth_tables.tables import ApiKeyScope as Scope

__all__ = [
    "ROLE_SCOPES",
    "Scope",
    "parse_scopes",
    "session_scopes",
    "stored_scopes",
]

_USER_SESSION_SCOPES = frozenset({Scope.credits_read, Scope.credits_spend})
# Scopes a session gets from its user's role, and the roles that give them.
ROLE_SCOPES: dict[Scope, frozenset[str]] = {
    Scope.credits_refund: frozenset({Role.service.value, Role.admin.value}),
}


def session_scopes(role: str) -> frozenset[Scope]:
    return _USER_SESSION_SCOPES | {
        scope for scope, roles in ROLE_SCOPES.items() if role in roles
    }


def parse_scopes(values: Iterable[str], kind: ApiKeyKind) -> list[Scope]:
    """The scopes named by `values`, each once, in the documented order.

    :raises ValueError: for an unknown scope, one this kind of key may not
        hold, or no scope at all.
    """
    scopes: set[Scope] = set()
    for value in values:
        try:
            scope = Scope(value.strip())
        except ValueError:
            known = ", ".join(scope.value for scope in Scope)
            raise ValueError(f"unknown scope {value!r}; known: {known}") from None
        if scope not in API_KEY_SCOPES[kind]:
            raise ValueError(f"{kind.value} keys cannot have the scope {scope.value}")
        scopes.add(scope)
    if not scopes:
        raise ValueError("a key needs at least one scope")
    return [scope for scope in Scope if scope in scopes]


def stored_scopes(values: Iterable[str]) -> frozenset[Scope]:
    """The scopes a stored key holds; names no longer known hold nothing."""
    known = {scope.value: scope for scope in Scope}
    return frozenset(known[value] for value in values if value in known)
