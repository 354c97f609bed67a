"""Piccolo Admin at /admin/: only active admins of the admin user table get
in, CSRF is enforced, and secrets never leave the database."""

from __future__ import annotations

import uuid

import httpx
import pytest
from piccolo.apps.user.tables import BaseUser

from auth_tables.tables import OutboxMessage, Password, TwoFactorAuth, User
from credit_tables.tables import Balance, Transaction
from mana_core_auth.credits.balances import open_balance
from mana_core_auth.settings import get_settings

ADMIN_TABLES = {
    "users",
    "sessions",
    "passwords",
    "accounts",
    "verification_tokens",
    "two_factor_auth",
    "security_events",
    "balances",
    "transactions",
    "packages",
    "purchases",
    "usage_stats",
    "outbox_messages",
}


async def make_admin_user(*, admin: bool, active: bool = True) -> tuple[str, str]:
    username = f"op-{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    await BaseUser.create_user(
        username=username,
        password=password,
        email=f"{username}@example.com",
        admin=admin,
        active=active,
    )
    return username, password


async def admin_login(client, username: str, password: str):
    client.cookies.clear()
    await client.get("/admin/")
    csrf = client.cookies.get("csrftoken")
    assert csrf, "the admin sets a CSRF cookie"
    return await client.post(
        "/admin/public/login/",
        json={"username": username, "password": password},
        headers={"X-CSRFToken": csrf, "Referer": f"{client.base_url}/admin/"},
    )


@pytest.fixture
async def https_client(app):
    """Outside development the admin's session cookie is `Secure`."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://testserver"
    ) as client:
        yield client


@pytest.fixture
async def admin_client(https_client):
    username, password = await make_admin_user(admin=True)
    response = await admin_login(https_client, username, password)
    assert response.status_code == 200, response.text
    return https_client


async def test_admin_page_is_served(client) -> None:
    response = await client.get("/admin/")
    assert response.status_code == 200
    assert "<html" in response.text.lower()


async def test_anonymous_callers_get_nothing(client) -> None:
    client.cookies.clear()
    response = await client.get("/admin/api/tables/")
    assert response.status_code == 401


async def test_non_admins_and_inactive_admins_get_nothing(https_client) -> None:
    for flags in ({"admin": False}, {"admin": True, "active": False}):
        username, password = await make_admin_user(**flags)
        await admin_login(https_client, username, password)
        response = await https_client.get("/admin/api/tables/")
        assert response.status_code == 401, flags


async def test_login_without_the_csrf_token_is_refused(client) -> None:
    username, password = await make_admin_user(admin=True)
    client.cookies.clear()
    response = await client.post(
        "/admin/public/login/", json={"username": username, "password": password}
    )
    assert response.status_code == 403


async def test_admin_sees_every_table(admin_client) -> None:
    response = await admin_client.get("/admin/api/tables/")
    assert response.status_code == 200
    assert set(response.json()) >= ADMIN_TABLES


async def test_service_sessions_are_not_the_admins_own_sessions(admin_client) -> None:
    schema = await admin_client.get("/admin/api/tables/sessions/schema/")
    assert schema.status_code == 200
    assert "family_id" in schema.json()["properties"]


async def test_password_hashes_are_never_shown(admin_client) -> None:
    user = User(email=f"{uuid.uuid4().hex}@example.com")
    await user.save()
    await Password(user=user.id, hashed_password="$argon2id$secret-hash").save()
    response = await admin_client.get(
        "/admin/api/tables/passwords/", params={"user": str(user.id)}
    )
    assert response.status_code == 200
    assert "secret-hash" not in response.text


async def test_balances_and_ledger_rows_cannot_be_edited_by_hand(admin_client) -> None:
    user = User(email=f"{uuid.uuid4().hex}@example.com")
    await user.save()
    csrf = {
        "X-CSRFToken": admin_client.cookies.get("csrftoken"),
        "Referer": f"{admin_client.base_url}/admin/",
    }
    created = await admin_client.post(
        "/admin/api/tables/balances/",
        json={"user": str(user.id), "balance": 1_000_000},
        headers=csrf,
    )
    assert created.status_code == 405
    assert "Grant credits" in created.text
    assert not await Balance.exists().where(Balance.user == user.id)

    await open_balance(user.id, get_settings())
    bonus = (
        await Transaction.select(Transaction.id)
        .where(Transaction.user == user.id)
        .first()
    )
    assert bonus is not None
    deleted = await admin_client.delete(
        f"/admin/api/tables/transactions/{bonus['id']}/", headers=csrf
    )
    assert deleted.status_code == 405
    assert await Transaction.exists().where(Transaction.id == bonus["id"])


async def test_operators_read_the_outbox_but_no_two_factor_secret(admin_client) -> None:
    recipient = f"{uuid.uuid4().hex}@example.com"
    await OutboxMessage.insert(
        OutboxMessage(recipient=recipient, subject="Confirm", text="t", html="h")
    )
    outbox = await admin_client.get(
        "/admin/api/tables/outbox_messages/", params={"recipient": recipient}
    )
    assert outbox.status_code == 200
    assert recipient in outbox.text
    user = User(email=f"{uuid.uuid4().hex}@example.com")
    await user.save()
    await TwoFactorAuth.insert(
        TwoFactorAuth(user=user.id, secret="encrypted-secret", backup_codes=["digest"])
    )
    response = await admin_client.get(
        "/admin/api/tables/two_factor_auth/", params={"user": str(user.id)}
    )
    assert response.status_code == 200
    assert "encrypted-secret" not in response.text and "digest" not in response.text
