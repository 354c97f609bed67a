"""Service keys: an app's backend spends and refunds for its users, and
validates tokens, with a key it was given; every scope is checked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from auth_tables.tables import ApiKey, ApiKeyKind, User
from mana_core_auth.api_keys.keys import generate_key
from mana_core_auth.api_keys.service import revoke_key
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.api_keys.support import (
    BALANCE,
    USE,
    VALIDATE_KEY,
    VALIDATE_TOKEN,
    event_types,
    key_row,
    ledger_row,
    rejection_reasons,
    service_key,
    spend_body,
)
from tests.mana_core_auth.credits.support import (
    CreditUser,
    balance_row,
    create_user,
    ledger,
)


def refund_path(transaction_id: str) -> str:
    return f"/api/v1/credits/transactions/{transaction_id}/refund"


async def test_a_service_key_spends_for_the_user_it_names(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    key = await service_key("credits:spend")
    by_key = await client.post(
        USE, json=spend_body(3, userId=str(user.id)), headers=key.headers
    )
    by_token = await client.post(USE, json=spend_body(3), headers=user.headers)

    assert by_key.status_code == 201, by_key.text
    assert by_token.status_code == 201
    assert set(by_key.json()) == set(by_token.json())
    assert by_key.json()["transaction"]["userId"] == str(user.id)
    assert by_key.json()["newBalance"]["freeCreditsRemaining"] == 147
    assert (await balance_row(user.id))["free_credits_remaining"] == 144
    row = await ledger_row(by_key.json()["transaction"]["id"])
    assert row["api_key_id"] == key.id
    assert (await ledger_row(by_token.json()["transaction"]["id"]))[
        "api_key_id"
    ] is None
    assert (await verify_ledger(user.id)).findings == []


async def test_a_retry_with_the_idempotency_key_spends_once(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    key = await service_key("credits:spend")
    body = spend_body(5, userId=str(user.id), idempotencyKey="msg-1")

    first = await client.post(USE, json=body, headers=key.headers)
    retry = await client.post(USE, json=body, headers=key.headers)
    changed = await client.post(USE, json={**body, "amount": 6}, headers=key.headers)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert first.json()["transaction"]["idempotencyKey"] == "msg-1"
    assert changed.status_code == 422
    assert changed.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    usages = [row for row in await ledger(user.id) if row["type"] == "usage"]
    assert len(usages) == 1
    assert (await balance_row(user.id))["free_credits_remaining"] == 145


async def test_idempotency_keys_are_per_app_and_apart_from_the_users_own(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    chat = await service_key("credits:spend", app_id="chat")
    chat_again = await service_key("credits:spend", app_id="chat")
    picture = await service_key("credits:spend", app_id="picture")
    body = spend_body(2, userId=str(user.id), idempotencyKey="same-key")

    own = await client.post(USE, json=body, headers=user.headers)
    by_chat = await client.post(USE, json=body, headers=chat.headers)
    by_picture = await client.post(USE, json=body, headers=picture.headers)
    # Another key of the same app: the same namespace, so the first answer.
    by_chat_again = await client.post(USE, json=body, headers=chat_again.headers)

    ids = [r.json()["transaction"]["id"] for r in (own, by_chat, by_picture)]
    assert len(set(ids)) == 3
    assert by_chat_again.status_code == 201
    assert by_chat_again.json() == by_chat.json()
    assert {r.json()["transaction"]["idempotencyKey"] for r in (own, by_chat)} == {
        "same-key"
    }
    assert (await balance_row(user.id))["free_credits_remaining"] == 144


async def test_a_service_key_must_name_a_live_user(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    key = await service_key("credits:spend")
    missing = await client.post(USE, json=spend_body(), headers=key.headers)
    unknown = await client.post(
        USE, json=spend_body(userId=str(uuid.uuid4())), headers=key.headers
    )
    keyed = spend_body(userId=str(user.id), idempotencyKey="before-deletion")
    first = await client.post(USE, json=keyed, headers=key.headers)
    await User.update({User.deleted_at: utc_now()}).where(User.id == user.id)
    deleted = await client.post(
        USE, json=spend_body(userId=str(user.id)), headers=key.headers
    )
    # Not even an idempotent replay for a user deleted since.
    replayed = await client.post(USE, json=keyed, headers=key.headers)

    assert (missing.status_code, missing.json()["code"]) == (400, "USER_ID_REQUIRED")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "USER_NOT_FOUND")
    assert first.status_code == 201
    for answer in (deleted, replayed):
        assert (answer.status_code, answer.json()["code"]) == (404, "USER_NOT_FOUND")
    spent = first.json()["transaction"]["amount"]
    assert (await balance_row(user.id))["free_credits_remaining"] == 150 + spent


async def test_the_same_rules_and_the_same_answer_when_credits_are_short(
    client: httpx.AsyncClient,
) -> None:
    poor = await create_user(signup_bonus=2)
    key = await service_key("credits:spend")
    by_key = await client.post(
        USE, json=spend_body(3, userId=str(poor.id)), headers=key.headers
    )
    by_token = await client.post(USE, json=spend_body(3), headers=poor.headers)
    assert by_key.status_code == by_token.status_code == 400
    assert by_key.json()["code"] == by_token.json()["code"] == "INSUFFICIENT_CREDITS"
    assert by_key.json()["message"] == "Insufficient credits"


async def test_a_user_token_may_not_spend_for_another_user(
    client: httpx.AsyncClient, user: CreditUser, other_user: CreditUser
) -> None:
    other = await client.post(
        USE, json=spend_body(userId=str(other_user.id)), headers=user.headers
    )
    own = await client.post(
        USE, json=spend_body(userId=str(user.id)), headers=user.headers
    )
    assert (other.status_code, other.json()["code"]) == (403, "OTHER_USER_FORBIDDEN")
    assert own.status_code == 201
    assert (await balance_row(other_user.id))["free_credits_remaining"] == 150


async def test_spending_needs_the_spend_scope(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    key = await service_key("credits:refund", "auth:validate")
    response = await client.post(
        USE, json=spend_body(userId=str(user.id)), headers=key.headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == "INSUFFICIENT_SCOPE"
    assert "credits:spend" in response.json()["message"]
    assert await rejection_reasons(key.id) == ["insufficient_scope"]
    assert (await balance_row(user.id))["free_credits_remaining"] == 150


async def test_unknown_malformed_revoked_and_expired_keys_are_401(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    revoked = await service_key("credits:spend")
    await revoke_key(revoked.id, now=utc_now(), revoked_by="tests")
    expired = await service_key("credits:spend")
    await ApiKey.update({ApiKey.expires_at: utc_now() - timedelta(seconds=1)}).where(
        ApiKey.id == expired.id
    )
    unknown = generate_key(ApiKeyKind.service).key
    body = spend_body(userId=str(user.id))

    answers = {
        name: await client.post(
            USE, json=body, headers={"Authorization": f"Bearer {key}"}
        )
        for name, key in (
            ("unknown", unknown),
            ("malformed", "mk_svc_short"),
            ("revoked", revoked.key),
            ("expired", expired.key),
        )
    }
    anonymous = await client.post(USE, json=body)

    for name, answer in answers.items():
        assert answer.status_code == 401, name
        assert answer.json()["code"] == "INVALID_API_KEY", name
    assert "revoked" in answers["revoked"].json()["message"]
    assert "expired" in answers["expired"].json()["message"]
    assert anonymous.status_code == 401
    assert await rejection_reasons(revoked.id) == ["revoked"]
    assert await rejection_reasons(expired.id) == ["expired"]
    assert (await balance_row(user.id))["free_credits_remaining"] == 150


async def test_a_service_key_refunds_with_the_refund_scope(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    spender = await service_key("credits:spend")
    refunder = await service_key("credits:refund")
    spent = await client.post(
        USE, json=spend_body(4, userId=str(user.id)), headers=spender.headers
    )
    usage_id = spent.json()["transaction"]["id"]

    without_scope = await client.post(
        refund_path(usage_id), json={"reason": "failed"}, headers=spender.headers
    )
    refunded = await client.post(
        refund_path(usage_id), json={"reason": "failed"}, headers=refunder.headers
    )
    by_user = await client.post(
        refund_path(usage_id), json={"reason": "again"}, headers=user.headers
    )

    assert (without_scope.status_code, without_scope.json()["code"]) == (
        403,
        "INSUFFICIENT_SCOPE",
    )
    assert refunded.status_code == 201, refunded.text
    assert refunded.json()["transaction"]["metadata"] == {
        "refundedBy": f"api_key:{refunder.id}"
    }
    assert by_user.status_code == 403  # users still cannot refund
    assert (await balance_row(user.id))["free_credits_remaining"] == 150
    assert (await verify_ledger(user.id)).findings == []


async def test_token_validation_is_open_but_a_key_sent_needs_its_scope(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    validator = await service_key("auth:validate")
    spender = await service_key("credits:spend")
    body = {"token": user.token}

    anonymous = await client.post(VALIDATE_TOKEN, json=body)
    with_scope = await client.post(VALIDATE_TOKEN, json=body, headers=validator.headers)
    without = await client.post(VALIDATE_TOKEN, json=body, headers=spender.headers)
    unknown = await client.post(
        VALIDATE_TOKEN,
        json=body,
        headers={"Authorization": f"Bearer {generate_key(ApiKeyKind.service).key}"},
    )
    # An access token in the header is not looked at, as before keys.
    with_token = await client.post(
        VALIDATE_TOKEN, json=body, headers={"Authorization": "Bearer expired.jwt.x"}
    )

    for answer in (anonymous, with_scope, with_token):
        assert answer.status_code == 200
        assert answer.json()["valid"] is True
        assert answer.json()["payload"]["sub"] == str(user.id)
    assert (without.status_code, without.json()["code"]) == (403, "INSUFFICIENT_SCOPE")
    assert unknown.status_code == 401


async def test_personal_key_validation_is_for_service_keys_with_the_scope(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    validator = await service_key("auth:validate")
    spender = await service_key("credits:spend")
    body = {"key": "mk_live_" + "a" * 52}

    allowed = await client.post(VALIDATE_KEY, json=body, headers=validator.headers)
    by_spender = await client.post(VALIDATE_KEY, json=body, headers=spender.headers)
    by_user = await client.post(VALIDATE_KEY, json=body, headers=user.headers)
    anonymous = await client.post(VALIDATE_KEY, json=body)

    assert allowed.status_code == 200
    assert allowed.json() == {
        "valid": False,
        "userId": None,
        "scopes": None,
        "keyId": None,
        "error": "Invalid API key",
    }
    for answer in (by_spender, by_user):
        assert answer.status_code == 403
        assert answer.json()["code"] == "INSUFFICIENT_SCOPE"
    assert anonymous.status_code == 401


async def test_keys_cannot_call_routes_that_need_a_users_session(
    client: httpx.AsyncClient,
) -> None:
    key = await service_key("credits:spend", "credits:refund", "auth:validate")
    for method, path in (
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/auth/sessions"),
        ("POST", "/api/v1/auth/logout-all"),
        ("GET", BALANCE),
        ("GET", "/api/v1/credits/transactions"),
        ("GET", "/api/v1/api-keys"),
    ):
        response = await client.request(method, path, headers=key.headers)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "INSUFFICIENT_SCOPE", (method, path)
    unknown = await client.get(
        "/api/v1/auth/me",
        headers={"Authorization": f"Bearer {generate_key(ApiKeyKind.service).key}"},
    )
    assert unknown.status_code == 401


async def test_use_is_noted_at_most_once_a_minute(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    key = await service_key("credits:spend")
    assert (await key_row(key.id))["last_used_at"] is None
    body = spend_body(userId=str(user.id))

    await client.post(USE, json=body, headers=key.headers)
    first = (await key_row(key.id))["last_used_at"]
    await client.post(USE, json=body, headers=key.headers)
    assert first is not None
    assert (await key_row(key.id))["last_used_at"] == first

    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    await ApiKey.update({ApiKey.last_used_at: an_hour_ago}).where(ApiKey.id == key.id)
    await client.post(USE, json=body, headers=key.headers)
    assert (await key_row(key.id))["last_used_at"] > an_hour_ago


async def test_a_service_key_with_a_rate_limit_is_held_to_it(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    key = await service_key("credits:spend", rate_limit=2)
    body = spend_body(userId=str(user.id))
    answers = [await client.post(USE, json=body, headers=key.headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert (await balance_row(user.id))["free_credits_remaining"] == 148


async def test_making_a_service_key_is_a_security_event() -> None:
    key = await service_key("credits:spend")
    assert await event_types(key.id) == ["api_key_created"]
