"""Personal keys: a user makes, lists and revokes their own; other services
validate them with a service key; each is held to its own rate limit."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import httpx

from auth_tables.tables import ApiKey, User
from mana_core_auth.credits.ledger import utc_now
from tests.mana_core_auth.api_keys.conftest import OtherApp
from tests.mana_core_auth.api_keys.support import (
    API_KEYS,
    BALANCE,
    USE,
    VALIDATE_KEY,
    events_of_key,
    ledger_row,
    personal_key,
    service_key,
    spend_body,
)
from tests.mana_core_auth.credits.support import CreditUser, balance_row, create_user

LISTED = {"id", "name", "prefix", "scopes", "createdAt", "lastUsedAt", "expiresAt"}


async def test_a_key_is_shown_once_and_listed_without_it(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    expires = (utc_now() + timedelta(days=30)).isoformat()
    created = await client.post(
        API_KEYS,
        json={
            "name": "backup script",
            "scopes": ["credits:spend", "credits:read", "credits:read"],
            "expiresAt": expires,
        },
        headers=user.headers,
    )
    listed = await client.get(API_KEYS, headers=user.headers)

    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == LISTED | {"key"}
    assert body["key"].startswith("mk_live_") and body["key"].startswith(body["prefix"])
    assert body["scopes"] == ["credits:read", "credits:spend"]
    assert body["lastUsedAt"] is None and body["expiresAt"] is not None
    assert listed.status_code == 200
    (entry,) = listed.json()
    assert set(entry) == LISTED
    assert entry["id"] == body["id"] and entry["prefix"] == body["prefix"]
    assert body["key"][len(body["prefix"]) :] not in listed.text
    events = await events_of_key(uuid.UUID(body["id"]))
    assert [e["event_type"] for e in events] == ["api_key_created"]
    assert events[0]["user_id"] == user.id


async def test_the_owner_uses_a_key_for_their_own_credits(
    client: httpx.AsyncClient, user: CreditUser, other_user: CreditUser
) -> None:
    key = await personal_key(client, user.headers, "credits:read", "credits:spend")

    balance = await client.get(BALANCE, headers=key.headers)
    spent = await client.post(USE, json=spend_body(2), headers=key.headers)
    named = await client.post(
        USE, json=spend_body(2, userId=str(user.id)), headers=key.headers
    )
    for_other = await client.post(
        USE, json=spend_body(2, userId=str(other_user.id)), headers=key.headers
    )

    assert balance.status_code == 200
    assert balance.json()["freeCreditsRemaining"] == 150
    assert (spent.status_code, named.status_code) == (201, 201)
    assert (await ledger_row(spent.json()["transaction"]["id"]))["api_key_id"] == key.id
    assert (for_other.status_code, for_other.json()["code"]) == (
        403,
        "OTHER_USER_FORBIDDEN",
    )
    assert (await balance_row(user.id))["free_credits_remaining"] == 146
    assert (await balance_row(other_user.id))["free_credits_remaining"] == 150


async def test_a_read_only_key_cannot_spend(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    key = await personal_key(client, user.headers, "credits:read")
    response = await client.post(USE, json=spend_body(), headers=key.headers)
    assert (response.status_code, response.json()["code"]) == (
        403,
        "INSUFFICIENT_SCOPE",
    )


async def test_only_the_owner_revokes_and_it_holds_at_once(
    client: httpx.AsyncClient, user: CreditUser, other_user: CreditUser
) -> None:
    key = await personal_key(client, user.headers)
    path = f"{API_KEYS}/{key.id}"
    spender = await service_key("credits:spend")

    by_other = await client.delete(path, headers=other_user.headers)
    by_key = await client.delete(path, headers=key.headers)
    by_service_key = await client.delete(path, headers=spender.headers)
    anonymous = await client.delete(path)
    assert (by_other.status_code, by_other.json()["code"]) == (404, "API_KEY_NOT_FOUND")
    assert (by_key.status_code, by_key.json()["code"]) == (403, "INSUFFICIENT_SCOPE")
    assert by_service_key.status_code == 403
    assert anonymous.status_code == 401
    assert (await client.get(BALANCE, headers=key.headers)).status_code == 200

    revoked = await client.delete(path, headers=user.headers)
    again = await client.delete(path, headers=user.headers)
    after = await client.get(BALANCE, headers=key.headers)

    assert revoked.status_code == 200
    assert again.status_code == 404
    assert after.status_code == 401 and "revoked" in after.json()["message"]
    assert (await client.get(API_KEYS, headers=user.headers)).json() == []
    events = await events_of_key(key.id)
    assert [e["event_type"] for e in events] == [
        "api_key_created",
        "api_key_rejected",  # the key tried to revoke itself
        "api_key_revoked",
        "api_key_rejected",
    ]
    assert events[2]["metadata"]["revokedBy"] == f"user:{user.id}"
    assert events[3]["metadata"]["reason"] == "revoked"


async def test_keys_are_made_by_a_users_session_only(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    key = await personal_key(client, user.headers, "credits:read", "credits:spend")
    spender = await service_key("credits:spend")
    body = {"name": "another", "scopes": ["credits:read"]}
    by_key = await client.post(API_KEYS, json=body, headers=key.headers)
    by_service_key = await client.post(API_KEYS, json=body, headers=spender.headers)
    anonymous = await client.post(API_KEYS, json=body)
    listed_by_key = await client.get(API_KEYS, headers=key.headers)
    assert by_key.status_code == by_service_key.status_code == 403
    assert listed_by_key.status_code == 403
    assert anonymous.status_code == 401


async def test_scopes_and_expiry_must_be_ones_a_personal_key_can_have(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    past = (utc_now() - timedelta(minutes=1)).isoformat()
    cases = {
        "unknown scope": ({"name": "k", "scopes": ["admin:all"]}, "VALIDATION_FAILED"),
        "no scope": ({"name": "k", "scopes": []}, "VALIDATION_FAILED"),
        "service scope": (
            {"name": "k", "scopes": ["credits:refund"]},
            "INVALID_API_KEY_REQUEST",
        ),
        "validation scope": (
            {"name": "k", "scopes": ["auth:validate"]},
            "INVALID_API_KEY_REQUEST",
        ),
        "past expiry": (
            {"name": "k", "scopes": ["credits:read"], "expiresAt": past},
            "INVALID_API_KEY_REQUEST",
        ),
        "no time zone": (
            {"name": "k", "scopes": ["credits:read"], "expiresAt": "2099-01-01T00:00"},
            "VALIDATION_FAILED",
        ),
    }
    for name, (body, code) in cases.items():
        response = await client.post(API_KEYS, json=body, headers=user.headers)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["code"] == code, name
    assert not await ApiKey.exists().where(ApiKey.user == user.id)


async def test_at_most_the_configured_number_of_keys_per_user(
    other_app: OtherApp,
) -> None:
    user = await create_user()
    async with other_app(api_keys_per_user=3) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    API_KEYS,
                    json={"name": f"k{i}", "scopes": ["credits:read"]},
                    headers=user.headers,
                )
                for i in range(10)
            )
        )
        statuses = Counter(answer.status_code for answer in answers)
        assert statuses == {201: 3, 409: 7}
        refused = next(a for a in answers if a.status_code == 409)
        assert refused.json()["code"] == "API_KEY_LIMIT_REACHED"

        first = next(a for a in answers if a.status_code == 201).json()["id"]
        await client.delete(f"{API_KEYS}/{first}", headers=user.headers)
        one_more = await client.post(
            API_KEYS,
            json={"name": "again", "scopes": ["credits:read"]},
            headers=user.headers,
        )
        assert one_more.status_code == 201
    assert await ApiKey.count().where(ApiKey.user == user.id) == 4


async def test_validation_tells_other_services_whose_key_it_is(
    client: httpx.AsyncClient, user: CreditUser
) -> None:
    validator = await service_key("auth:validate")
    key = await personal_key(client, user.headers, "credits:read")

    def validate(body: dict[str, object]):
        return client.post(VALIDATE_KEY, json=body, headers=validator.headers)

    plain = await validate({"key": key.key})
    with_scope = await validate({"key": key.key, "scope": "credits:read"})
    missing_scope = await validate({"key": key.key, "scope": "credits:spend"})
    service = await validate({"key": validator.key})
    garbage = await validate({"key": "not a key"})

    assert plain.status_code == 200
    assert plain.json() == {
        "valid": True,
        "userId": str(user.id),
        "scopes": ["credits:read"],
        "keyId": str(key.id),
        "error": None,
    }
    assert with_scope.json()["valid"] is True
    assert missing_scope.json()["valid"] is False
    assert "credits:spend" in missing_scope.json()["error"]
    assert service.json() == {**garbage.json(), "error": "Not a personal API key"}
    assert garbage.json()["valid"] is False

    await client.delete(f"{API_KEYS}/{key.id}", headers=user.headers)
    revoked = await validate({"key": key.key})
    assert revoked.json()["valid"] is False
    assert "revoked" in revoked.json()["error"]
    reasons = [
        e["metadata"]["reason"]
        for e in await events_of_key(key.id)
        if e["event_type"] == "api_key_rejected"
    ]
    assert reasons == ["insufficient_scope", "revoked"]


async def test_an_expired_key_and_a_deleted_owners_key_are_refused(
    client: httpx.AsyncClient,
) -> None:
    validator = await service_key("auth:validate")
    user = await create_user()
    expiring = await personal_key(client, user.headers)
    kept = await personal_key(client, user.headers)
    await ApiKey.update({ApiKey.expires_at: utc_now() - timedelta(seconds=1)}).where(
        ApiKey.id == expiring.id
    )
    expired = await client.get(BALANCE, headers=expiring.headers)
    assert (await client.get(BALANCE, headers=kept.headers)).status_code == 200

    await User.update({User.deleted_at: utc_now()}).where(User.id == user.id)
    deleted = await client.get(BALANCE, headers=kept.headers)
    validated = await client.post(
        VALIDATE_KEY, json={"key": kept.key}, headers=validator.headers
    )

    assert expired.status_code == 401 and "expired" in expired.json()["message"]
    assert deleted.status_code == 401
    assert validated.json()["valid"] is False


async def test_each_key_is_held_to_its_own_rate_limit(other_app: OtherApp) -> None:
    user = await create_user()
    validator = await service_key("auth:validate")
    async with other_app(api_key_rate_limit_requests=3) as client:
        key = await personal_key(client, user.headers, "credits:read")
        spare = await personal_key(client, user.headers, "credits:read")
        answers = [
            await client.post(
                VALIDATE_KEY, json={"key": key.key}, headers=validator.headers
            )
            for _ in range(2)
        ]
        # Direct use and validation count against the same limit.
        answers.append(await client.get(BALANCE, headers=key.headers))
        answers.append(
            await client.post(
                VALIDATE_KEY, json={"key": key.key}, headers=validator.headers
            )
        )
        answers.append(await client.get(BALANCE, headers=key.headers))
        others = await client.post(
            VALIDATE_KEY, json={"key": spare.key}, headers=validator.headers
        )

    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[3].json()["code"] == "TOO_MANY_REQUESTS"
    assert "rate limit" in answers[3].json()["message"]
    assert int(answers[3].headers["Retry-After"]) >= 1
    assert others.status_code == 200 and others.json()["valid"] is True
