"""POST /auth/register: the account, its password and its credit balance."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from auth_tables.tables import Password, SecurityEvent, SecurityEventType, User
from credit_tables.tables import Balance, Transaction
from tests.mana_core_auth.auth.support import PASSWORD, login, register, unique_email


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
    events = (
        await SecurityEvent.select(SecurityEvent.event_type)
        .where(SecurityEvent.user == user_id)
        .order_by(SecurityEvent.created_at)
    )
    assert events == [
        {"event_type": SecurityEventType.register.value},
        {"event_type": SecurityEventType.email_verification_sent.value},
    ]


async def test_existing_email_is_409_whatever_its_case(client) -> None:
    email = unique_email()
    await register(client, email)
    response = await client.post(
        "/api/v1/auth/register", json={"email": email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "EMAIL_TAKEN" and body["statusCode"] == 409


async def test_sixteen_concurrent_registrations_of_one_email(client) -> None:
    email = unique_email("race")
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
            )
            for _ in range(16)
        )
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 15
    assert await User.count().where(User.email == email) == 1
    user = await User.objects().where(User.email == email).first()
    assert user is not None
    assert await Balance.count().where(Balance.user == user.id) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "ada@", "password": PASSWORD}, "email"),
        ({"email": unique_email(), "password": "elevenchars"}, "password"),
        ({"email": unique_email(), "password": "x" * 129}, "password"),
        ({"email": unique_email(), "password": PASSWORD, "name": "n" * 256}, "name"),
        ({"email": unique_email(), "password": PASSWORD, "role": "admin"}, "role"),
        ({"email": unique_email()}, "password"),
        ({"email": unique_email(), "password": PASSWORD, "name": "a\x00b"}, "name"),
    ],
)
async def test_invalid_registrations_are_400_with_the_field(
    client, body, field
) -> None:
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["code"] == "VALIDATION_FAILED"
    assert [item["field"] for item in error["errors"]] == [field]


async def test_password_lengths_are_counted_as_typed(client) -> None:
    # 12 characters of which 11 are not space: accepted, and kept as typed.
    password = " quiet-lamp "
    email = unique_email()
    await register(client, email, password)
    assert (await login(client, email, password)).status_code == 200
    assert (await login(client, email, password.strip())).status_code == 401
    # 128 characters (256 bytes in UTF-8): accepted.
    long_password = "ü" * 64 + "staple-horse-" * 4 + "x" * 12
    assert len(long_password) == 128
    await register(client, unique_email(), long_password)


@pytest.mark.parametrize(
    "password", ["password1234", "Qwerty123456", "1q2w3e4r5t6y", "monkey!!!!!!!!"]
)
async def test_common_passwords_are_refused(client, password) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": unique_email(), "password": password}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "WEAK_PASSWORD"


async def test_unknown_content_type_and_broken_json_are_400_not_500(client) -> None:
    broken = await client.post(
        "/api/v1/auth/register",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    form = await client.post(
        "/api/v1/auth/register", data={"email": unique_email(), "password": PASSWORD}
    )
    assert broken.status_code == 400 and broken.json()["code"] == "VALIDATION_FAILED"
    assert form.status_code == 415 and form.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_registration_is_one_statement(client) -> None:
    """If the balance cannot be opened, no user or password is left behind."""
    import asyncpg

    from mana_core_auth.auth import registration
    from mana_core_auth.auth.client_ip import ClientInfo
    from mana_core_auth.settings import get_settings

    # A negative daily grant breaks a check of credits.balances.
    broken = get_settings().model_copy(update={"credits_daily_free": -1})
    email = unique_email()
    with pytest.raises(asyncpg.CheckViolationError):
        await registration.register(
            email=email,
            password=PASSWORD,
            name=None,
            client=ClientInfo(ip_address="203.0.113.9", user_agent=None),
            settings=broken,
        )
    assert not await User.exists().where(User.email == email)
    await register(client, email)


def _fullwidth(text: str) -> str:
    """ASCII letters, digits, '-' and '@' as their fullwidth forms (U+FF01..)."""
    return "".join(
        chr(ord(c) + 0xFEE0) if c.isascii() and (c.isalnum() or c in "-@") else c
        for c in text
    )


async def test_a_compatibility_variant_of_an_address_is_the_same_account(
    client,
) -> None:
    email = unique_email()
    local, domain = email.split("@")
    variant = _fullwidth(local) + "@" + domain
    assert variant != email and variant.lower() != email
    user = await register(client, email)
    again = await client.post(
        "/api/v1/auth/register", json={"email": variant, "password": PASSWORD}
    )
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "EMAIL_TAKEN"
    logged_in = await login(client, variant)
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["user"]["id"] == user["id"]


async def test_a_fullwidth_address_is_stored_folded(client) -> None:
    email = unique_email()
    created = await client.post(
        "/api/v1/auth/register",
        json={"email": _fullwidth(email.upper()), "password": PASSWORD},
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == email
