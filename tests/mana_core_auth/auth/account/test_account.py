"""Deleting and exporting one's account: a soft delete that ends every
session and keeps the ledger; an export with profile, sessions, ledger and
purchases, and no secret."""

from __future__ import annotations

import json
import uuid

from auth_tables.tables import Password, SecurityEvent, Session, User
from credit_tables.tables import Purchase, Transaction, TransactionStatus
from tests.mana_core_auth.auth.support import PASSWORD, bearer, login

EXPORT = "/api/v1/auth/account/export"
ACCOUNT = "/api/v1/auth/account"


async def _spend(client, caller, amount: int) -> None:
    response = await client.post(
        "/api/v1/credits/use",
        headers=caller.headers,
        json={"amount": amount, "appId": "chat", "description": "a message"},
    )
    assert response.status_code == 201, response.text


async def test_export_holds_profile_sessions_ledger_and_purchases(
    client, caller
) -> None:
    user_id = uuid.UUID(caller.id)
    await _spend(client, caller, 7)
    await Purchase.insert(
        Purchase(
            user=user_id,
            credits=1000,
            price_euro_cents=1000,
            status=TransactionStatus.completed,
        )
    )
    response = await client.get(EXPORT, headers=caller.headers)
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["profile"]["email"] == caller.email
    assert export["profile"]["emailVerified"] is False
    assert export["twoFactorEnabled"] is False
    [session] = export["sessions"]
    assert session["revokedAt"] is None
    assert [entry["amount"] for entry in export["ledger"]] == [150, -7]
    assert export["ledger"][1]["appId"] == "chat"
    assert [p["credits"] for p in export["purchases"]] == [1000]
    assert export["balance"]["freeCreditsRemaining"] == 143
    assert "register" in [event["eventType"] for event in export["securityEvents"]]

    text = json.dumps(export)
    hashed = await Password.select(Password.hashed_password).where(
        Password.user == user_id
    )
    refresh_hash = await Session.select(Session.refresh_token_hash).where(
        Session.user == user_id
    )
    for secret in (
        hashed[0]["hashed_password"],
        refresh_hash[0]["refresh_token_hash"],
        caller.refresh_token,
    ):
        assert secret not in text
    assert await SecurityEvent.exists().where(
        (SecurityEvent.user == user_id)
        & (SecurityEvent.event_type == "account_exported")
    )


async def test_deleted_accounts_cannot_log_in_but_their_ledger_stays(
    client, caller
) -> None:
    user_id = uuid.UUID(caller.id)
    await _spend(client, caller, 3)
    wrong = await client.request(
        "DELETE",
        ACCOUNT,
        headers=caller.headers,
        json={"password": "not-the-password-at-all"},
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "INVALID_CURRENT_PASSWORD"
    second = (await login(client, caller.email)).json()

    deleted = await client.request(
        "DELETE", ACCOUNT, headers=caller.headers, json={"password": PASSWORD}
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["revokedSessions"] == 2

    for token in (caller.access_token, second["accessToken"]):
        me = await client.get("/api/v1/auth/me", headers=bearer(token))
        assert me.status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": second["refreshToken"]}
    )
    assert refreshed.status_code == 401
    refused = await login(client, caller.email)
    assert refused.status_code == 401
    assert refused.json()["code"] == "INVALID_CREDENTIALS"
    forgot = await client.post(
        "/api/v1/auth/forgot-password", json={"email": caller.email}
    )
    assert forgot.status_code == 202

    user = await User.objects().where(User.id == user_id).first()
    assert user is not None and user.deleted_at is not None
    ledger = await Transaction.select(Transaction.amount).where(
        Transaction.user == user_id
    )
    assert sorted(row["amount"] for row in ledger) == [-3, 150]
    assert await SecurityEvent.exists().where(
        (SecurityEvent.user == user_id)
        & (SecurityEvent.event_type == "account_deleted")
    )
    taken = await client.post(
        "/api/v1/auth/register", json={"email": caller.email, "password": PASSWORD}
    )
    assert taken.status_code == 409
