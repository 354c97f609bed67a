"""Which scopes each kind of key and each session holds."""

from __future__ import annotations

import pytest

from auth_tables.tables import ApiKeyKind
from mana_core_auth.api_keys.scopes import (
    Scope,
    parse_scopes,
    session_scopes,
    stored_scopes,
)


def test_each_kind_of_key_holds_only_its_scopes() -> None:
    assert parse_scopes(
        ["auth:validate", " credits:spend", "credits:spend"], ApiKeyKind.service
    ) == [Scope.credits_spend, Scope.auth_validate]
    assert parse_scopes(["credits:read"], ApiKeyKind.personal) == [Scope.credits_read]
    for values, kind in (
        (["credits:read"], ApiKeyKind.service),
        (["credits:refund"], ApiKeyKind.personal),
        (["auth:validate"], ApiKeyKind.personal),
        (["credits:everything"], ApiKeyKind.service),
        ([], ApiKeyKind.service),
    ):
        with pytest.raises(ValueError):
            parse_scopes(values, kind)


def test_sessions_hold_what_their_role_allowed_before_keys() -> None:
    assert session_scopes("user") == {Scope.credits_read, Scope.credits_spend}
    for role in ("service", "admin"):
        assert Scope.credits_refund in session_scopes(role)
        assert Scope.auth_validate not in session_scopes(role)


def test_scopes_no_longer_known_hold_nothing() -> None:
    assert stored_scopes(["credits:spend", "gone:away"]) == {Scope.credits_spend}
