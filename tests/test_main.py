"""The app shell: health, readiness, JWKS, the error envelope, body limits."""

from __future__ import annotations


async def test_health_answers(client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_migrated(client) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


async def test_unknown_path_gets_the_error_envelope(client) -> None:
    for path in ("/nope", "/api/v1/nope"):
        response = await client.get(path)
        assert response.status_code == 404
        body = response.json()
        assert body["statusCode"] == 404
        assert body["code"] == "NOT_FOUND"
        assert body["path"] == path
        assert body["timestamp"]


async def test_body_over_one_mebibyte_is_refused(client) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b"{" + b" " * (1024 * 1024 + 1) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


async def test_jwks_publishes_the_signing_key(client) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519"
    assert key["alg"] == "EdDSA" and key["use"] == "sig" and key["kid"]
    assert "d" not in key


async def test_openapi_is_served(client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Mana Core Auth"


async def test_streamed_body_over_one_mebibyte_is_413_in_the_envelope(client) -> None:
    async def chunks():
        # No Content-Length: sent chunked, so only counting what arrives
        # finds out that it is too large.
        for _ in range(17):
            yield b" " * 65536

    for path in ("/api/v1/auth/login", "/api/v1/credits/use"):
        response = await client.post(
            path, content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413, (path, response.text)
        body = response.json()
        assert body["code"] == "PAYLOAD_TOO_LARGE" and body["statusCode"] == 413
        assert body["path"] == path
