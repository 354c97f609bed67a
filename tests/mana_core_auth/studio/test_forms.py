"""Operator forms: resetting a user's two-factor needs a reason and leaves a
`two_factor_reset` event; every form submission is an `admin_write` event."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from auth_tables.tables import (
    OutboxMessage,
    SecurityEvent,
    SecurityEventType,
    Session,
    TwoFactorAuth,
    User,
)
from mana_core_auth.credits.balances import open_balance
from mana_core_auth.settings import get_settings
from tests.mana_core_auth.studio.support import admin_session

RESET = "/admin/api/forms/reset-two-factor/"


@pytest.fixture
async def admin(app: Any) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with admin_session(app) as session:
        yield session


async def user_with_two_factor() -> User:
    """A user with two-factor on and one live session."""
    user = User(email=f"{uuid.uuid4().hex}@example.com")
    await user.save()
    await TwoFactorAuth(user=user.id, secret="encrypted", enabled=True).save()
    now = datetime.now(UTC)
    await Session(
        user=user.id,
        family_id=uuid.uuid4(),
        refresh_token_hash=uuid.uuid4().hex,
        refresh_token_expires_at=now + timedelta(days=7),
        expires_at=now + timedelta(days=7),
    ).save()
    return user


async def test_the_reset_form_is_listed(admin) -> None:
    client, _ = admin
    grouped = (await client.get("/admin/api/forms/grouped/")).json()["grouped"]
    assert [form["slug"] for form in grouped["Accounts"]] == ["reset-two-factor"]
    schema = (await client.get(f"{RESET}schema/")).json()
    assert schema["required"] == ["email", "reason"]


async def test_resetting_a_users_two_factor(admin) -> None:
    client, username = admin
    user = await user_with_two_factor()
    response = await client.post(
        RESET, json={"email": user.email.upper(), "reason": "Ticket 42: lost phone"}
    )
    assert response.status_code == 200, response.text
    assert "reset" in response.json()["custom_form_success"]
    assert not await TwoFactorAuth.exists().where(TwoFactorAuth.user == user.id)
    event = (
        await SecurityEvent.select()
        .where(SecurityEvent.user == user.id)
        .output(load_json=True)
        .first()
    )
    assert event is not None
    assert event["event_type"] == SecurityEventType.two_factor_reset
    assert event["metadata"] == {
        "admin": username,
        "reason": "Ticket 42: lost phone",
        "revoked_sessions": 1,
    }
    assert not await Session.exists().where(
        (Session.user == user.id) & Session.revoked_at.is_null()
    )
    # The owner is told (no SMTP server here: the mail is in the outbox).
    notices = await OutboxMessage.select(
        OutboxMessage.subject, OutboxMessage.text
    ).where(OutboxMessage.recipient == user.email)
    assert len(notices) == 1
    assert "two-factor" in notices[0]["subject"].lower()
    assert "Ticket 42" not in notices[0]["text"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"reason": ""}, 422, None),
        ({"reason": "   "}, 422, "Give a reason"),
        ({"email": "nobody@example.com", "reason": "x"}, 422, "No user"),
    ],
)
async def test_reset_errors(
    admin, body: dict, status: int, message: str | None
) -> None:
    client, _ = admin
    user = await user_with_two_factor()
    response = await client.post(RESET, json={"email": user.email, **body})
    assert response.status_code == status
    if message:
        assert message in response.json()["custom_form_error"]
    assert await TwoFactorAuth.exists().where(TwoFactorAuth.user == user.id)


async def test_a_user_without_two_factor_is_told(admin) -> None:
    client, _ = admin
    user = User(email=f"{uuid.uuid4().hex}@example.com")
    await user.save()
    response = await client.post(RESET, json={"email": user.email, "reason": "x"})
    assert response.status_code == 422
    assert "does not use two-factor" in response.json()["custom_form_error"]


async def test_a_credit_grant_is_an_admin_write(admin) -> None:
    client, username = admin
    user = User(email=f"{uuid.uuid4().hex}@example.com")
    await user.save()
    await open_balance(user.id, get_settings())
    response = await client.post(
        "/admin/api/forms/grant-credits/",
        json={"email": user.email, "amount": 7, "reason": "promo"},
    )
    assert response.status_code == 200, response.text
    rows = await SecurityEvent.raw(
        "SELECT metadata FROM auth.security_events WHERE event_type = 'admin_write' "
        "AND metadata->'fields'->>'email' = {}",
        user.email,
    )
    assert [json.loads(row["metadata"]) for row in rows] == [
        {
            "admin": username,
            "action": "form",
            "form": "Grant credits",
            "fields": {
                "email": user.email,
                "amount": 7,
                "free_credits": False,
                "reason": "promo",
            },
        }
    ]
