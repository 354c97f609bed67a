"""POST /auth/login: the original's answer, sessions, failures, deleted users."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import bcrypt
import jwt

from auth_tables.tables import Password, Session, User
from tests.mana_core_auth.auth.support import (
    PASSWORD,
    bearer,
    login,
    register,
    unique_email,
)


async def test_login_answers_the_original_shape(client) -> None:
    user = await register(client)
    response = await login(
        client, user["email"], deviceId="phone-1", deviceName="Ada's phone"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "user",
        "accessToken",
        "refreshToken",
        "expiresIn",
        "tokenType",
        "deviceToken",
    }
    assert body["user"] == {
        "id": user["id"],
        "email": user["email"],
        "name": None,
        "role": "user",
    }
    assert body["expiresIn"] == 900 and body["tokenType"] == "Bearer"
    claims = jwt.decode(body["accessToken"], options={"verify_signature": False})
    assert claims["sub"] == user["id"] and claims["email"] == user["email"]
    assert claims["role"] == "user" and claims["deviceId"] == "phone-1"
    assert claims["iss"] == claims["aud"] == "manacore"
    assert claims["exp"] - claims["iat"] == 900
    header = jwt.get_unverified_header(body["accessToken"])
    assert header["alg"] == "EdDSA" and header["kid"]


async def test_login_stores_a_session_with_only_the_refresh_token_hash(client) -> None:
    user = await register(client)
    body = (
        await login(client, user["email"], deviceId="phone-1", deviceName="Phone")
    ).json()
    claims = jwt.decode(body["accessToken"], options={"verify_signature": False})
    session = (
        await Session.objects()
        .where(Session.family_id == uuid.UUID(claims["sessionId"]))
        .first()
    )
    assert session is not None
    assert session.device_id == "phone-1" and session.device_name == "Phone"
    assert session.revoked_at is None
    assert body["refreshToken"] not in session.refresh_token_hash
    assert len(session.refresh_token_hash) == 64
    lifetime = session.expires_at - session.created_at
    assert lifetime.total_seconds() == 7 * 24 * 3600
    assert session.refresh_token_expires_at == session.expires_at


async def test_email_is_trimmed_and_lower_cased(client) -> None:
    email = unique_email()
    await register(client, f"  {email.upper()}  ")
    response = await login(client, f" {email.title()} ")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == email


async def test_wrong_password_and_unknown_email_get_the_same_answer(client) -> None:
    user = await register(client)
    wrong = await login(client, user["email"], "not-the-password-at-all")
    unknown = await login(client, unique_email(), PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda body: {  # noqa: E731
        k: v for k, v in body.items() if k not in {"timestamp", "requestId"}
    }
    assert strip(wrong.json()) == strip(unknown.json())
    assert wrong.json()["code"] == "INVALID_CREDENTIALS"
    assert wrong.headers.keys() == unknown.headers.keys()


async def test_deleted_user_cannot_log_in_or_use_tokens(client) -> None:
    user = await register(client)
    tokens = (await login(client, user["email"])).json()
    await User.update({User.deleted_at: datetime.now(UTC)}).where(
        User.id == uuid.UUID(user["id"])
    )
    response = await login(client, user["email"])
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_CREDENTIALS"
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]}
    )
    assert refreshed.status_code == 401
    me = await client.get("/api/v1/auth/me", headers=bearer(tokens["accessToken"]))
    assert me.status_code == 401


async def test_bcrypt_password_from_the_original_logs_in_and_is_upgraded(
    client,
) -> None:
    user = await register(client)
    user_id = uuid.UUID(user["id"])
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    await Password.update({Password.hashed_password: legacy}).where(
        Password.user == user_id
    )
    assert (
        await login(client, user["email"], "wrong-password-here")
    ).status_code == 401
    assert await _stored_hash(user_id) == legacy

    assert (await login(client, user["email"])).status_code == 200
    upgraded = await _stored_hash(user_id)
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (await login(client, user["email"])).status_code == 200
    assert await _stored_hash(user_id) == upgraded


async def _stored_hash(user_id: uuid.UUID) -> str:
    row = (
        await Password.select(Password.hashed_password)
        .where(Password.user == user_id)
        .first()
    )
    assert row is not None
    hashed: str = row["hashed_password"]
    return hashed


async def test_text_postgresql_cannot_store_is_400_not_500(client) -> None:
    for body in (
        {"email": "a\x00@example.com", "password": PASSWORD},
        {"email": unique_email(), "password": PASSWORD, "deviceName": "\x00"},
    ):
        response = await client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "VALIDATION_FAILED"
