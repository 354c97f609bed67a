"""`/api/v1/openapi.json` describes every route of the API from its models."""

from __future__ import annotations

import pytest

ROUTES = {
    ("post", "/auth/register"): "201",
    ("post", "/auth/login"): "200",
    ("post", "/auth/refresh"): "200",
    ("post", "/auth/logout"): "200",
    ("post", "/auth/validate"): "200",
    ("get", "/auth/me"): "200",
    ("get", "/auth/sessions"): "200",
    ("delete", "/auth/sessions/{session_id}"): "200",
    ("post", "/auth/logout-all"): "200",
    ("post", "/auth/change-password"): "200",
    ("post", "/auth/verify-email"): "200",
    ("post", "/auth/resend-verification"): "202",
    ("post", "/auth/forgot-password"): "202",
    ("post", "/auth/reset-password"): "200",
    ("delete", "/auth/account"): "200",
    ("get", "/auth/account/export"): "200",
    ("post", "/auth/2fa/setup"): "200",
    ("post", "/auth/2fa/enable"): "200",
    ("post", "/auth/2fa/verify"): "200",
    ("post", "/auth/2fa/disable"): "200",
    ("post", "/auth/2fa/backup-codes"): "200",
    ("get", "/credits/balance"): "200",
    ("post", "/credits/use"): "201",
    ("get", "/credits/transactions"): "200",
    ("post", "/credits/transactions/{transaction_id}/refund"): "201",
    ("get", "/credits/purchases"): "200",
    ("get", "/credits/packages"): "200",
    ("get", "/credits/usage"): "200",
    ("post", "/credits/checkout"): "201",
    ("post", "/webhooks/stripe"): "200",
    ("post", "/api-keys"): "201",
    ("get", "/api-keys"): "200",
    ("delete", "/api-keys/{key_id}"): "200",
    ("post", "/api-keys/validate"): "200",
    ("post", "/guilds"): "201",
    ("get", "/guilds"): "200",
    ("post", "/guilds/accept-invitation"): "200",
    ("get", "/guilds/{guild_id}"): "200",
    ("put", "/guilds/{guild_id}"): "200",
    ("delete", "/guilds/{guild_id}"): "200",
    ("post", "/guilds/{guild_id}/invite"): "201",
    ("get", "/guilds/{guild_id}/invitations"): "200",
    ("delete", "/guilds/{guild_id}/invitations/{invitation_id}"): "200",
    ("delete", "/guilds/{guild_id}/members/{user_id}"): "200",
    ("put", "/guilds/{guild_id}/members/{user_id}/role"): "200",
    ("get", "/credits/guild/{guild_id}/balance"): "200",
    ("post", "/credits/guild/{guild_id}/fund"): "201",
    ("post", "/credits/guild/{guild_id}/use"): "201",
    ("get", "/credits/guild/{guild_id}/transactions"): "200",
    ("get", "/credits/guild/{guild_id}/members/{user_id}/limits"): "200",
    ("put", "/credits/guild/{guild_id}/members/{user_id}/limits"): "200",
    ("post", "/credits/guild/{guild_id}/transactions/{transaction_id}/refund"): "201",
}


@pytest.fixture(scope="module")
async def spec(client) -> dict:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    body: dict = response.json()
    return body


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_route_documents_its_answers(spec, method, path) -> None:
    operation = spec["paths"][path][method]
    assert operation["summary"]
    responses = operation["responses"]
    success = responses[ROUTES[method, path]]["content"]["application/json"]
    schema = success["schema"]
    if schema.get("type") == "array":  # a list of entries
        schema = schema["items"]
    # A login answers tokens, or a two-factor challenge.
    assert all(ref["$ref"] for ref in schema.get("anyOf", [schema]))
    for status in ("400", "401", "429", "503"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/ErrorResponse")
    documented = {
        *("200", "201", "202", "400", "401", "403", "404", "409", "422", "429"),
        *("502", "503"),  # 502: the payment provider failed
    }
    assert not set(responses) - documented


def test_every_route_is_listed_here(spec) -> None:
    """A new route gets its line in ROUTES, and so the checks above."""
    operations = {
        (method, path) for path, methods in spec["paths"].items() for method in methods
    }
    assert operations == set(ROUTES)


def test_camel_case_and_constraints_come_from_the_models(spec) -> None:
    schemas = spec["components"]["schemas"]
    login = schemas["TokenResponse"]["properties"]
    assert set(login) == {
        "user",
        "accessToken",
        "refreshToken",
        "expiresIn",
        "tokenType",
    }
    password = schemas["RegisterRequest"]["properties"]["password"]
    assert password["minLength"] == 12 and password["maxLength"] == 128
    assert "409" in spec["paths"]["/auth/register"]["post"]["responses"]
    assert "404" in spec["paths"]["/auth/sessions/{session_id}"]["delete"]["responses"]
    # Invalid requests are 400 with the envelope, not FastAPI's 422 ...
    assert "HTTPValidationError" not in str(spec)
    assert "422" not in spec["paths"]["/auth/register"]["post"]["responses"]
    # ... while a route's own 422 is documented.
    assert "422" in spec["paths"]["/credits/use"]["post"]["responses"]


def test_every_operation_says_what_it_does(spec) -> None:
    """A written summary, not FastAPI's title-cased function name."""
    generated = [
        f"{method.upper()} {path}: {operation.get('summary')}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if not operation.get("summary") or operation["summary"].istitle()
    ]
    assert generated == []
