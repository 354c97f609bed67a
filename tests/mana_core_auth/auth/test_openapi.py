"""`/api/v1/openapi.json` describes every auth route from its models."""

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
    success = responses[ROUTES[method, path]]
    assert success["content"]["application/json"]["schema"]["$ref"]
    for status in ("400", "401", "429", "503"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/ErrorResponse")
    assert not set(responses) - {"200", "201", "400", "401", "404", "409", "429", "503"}


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
