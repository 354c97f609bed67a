"""POST /auth/register: the account, its password and its credit balance."""

from __future__ import annotations

import uuid

from auth_tables.tables import Password, SecurityEvent, SecurityEventType
from credit_tables.tables import Balance, Transaction
from tests.mana_core_auth.auth.conftest import PASSWORD, register, unique_email


async def test_register_answers_the_original_shape(client) -> None:
    email = unique_email()
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Ada"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "email", "name", "createdAt"}
    assert body["email"] == email and body["name"] == "Ada"
    uuid.UUID(body["id"])


async def test_register_creates_password_balance_bonus_and_event(client) -> None:
    body = await register(client)
    user_id = uuid.UUID(body["id"])
    password = await Password.objects().where(Password.user == user_id).first()
    assert password is not None
    assert password.hashed_password.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    balance = await Balance.objects().where(Balance.user == user_id).first()
    assert balance is not None and balance.free_credits_remaining == 150
    ledger = await Transaction.select().where(Transaction.user == user_id)
    assert [row["amount"] for row in ledger] == [150]
    events = await SecurityEvent.select(SecurityEvent.event_type).where(
        SecurityEvent.user == user_id
    )
    assert events == [{"event_type": SecurityEventType.register.value}]
