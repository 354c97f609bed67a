"""The Piccolo Admin forms: grant credits and refund a usage, as a logged-in
admin, through the admin's own form API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from piccolo.apps.user.tables import BaseUser

from mana_core_auth.credits.spending import spend
from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.credits.support import CreditUser, balance_row, ledger

FORMS = "/admin/api/forms"


@pytest.fixture
async def operator(app) -> AsyncIterator[httpx.AsyncClient]:
    """An https client logged in to the admin (its cookie is `Secure`
    outside development)."""
    username = f"op-{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    await BaseUser.create_user(
        username=username,
        password=password,
        email=f"{username}@example.com",
        admin=True,
        active=True,
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://testserver"
    ) as client:
        await client.get("/admin/")
        client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
        client.headers["Referer"] = "https://testserver/admin/"
        response = await client.post(
            "/admin/public/login/", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        client.headers["X-Operator"] = username
        yield client


async def test_the_credit_forms_are_listed(operator: httpx.AsyncClient) -> None:
    response = await operator.get(f"{FORMS}/grouped/")
    assert response.status_code == 200
    names = {form["slug"] for form in response.json()["grouped"]["Credits"]}
    assert names == {"grant-credits", "refund-usage"}


async def test_granting_credits_from_the_admin(
    operator: httpx.AsyncClient, user: CreditUser
) -> None:
    response = await operator.post(
        f"{FORMS}/grant-credits/",
        json={
            "email": user.email,
            "amount": 30,
            "free_credits": False,
            "reason": "promo",
        },
    )
    assert response.status_code == 200, response.text
    assert "paid 30" in response.json()["custom_form_success"]
    last = (await ledger(user.id))[-1]
    assert (last["type"], last["amount"], last["description"]) == (
        "adjustment",
        30,
        "promo",
    )
    assert last["metadata"] == {"grantedBy": f"admin:{operator.headers['X-Operator']}"}

    free = await operator.post(
        f"{FORMS}/grant-credits/",
        json={
            "email": user.email,
            "amount": 5,
            "free_credits": True,
            "reason": "sorry",
        },
    )
    assert free.status_code == 200
    assert (await balance_row(user.id))["free_credits_remaining"] == 155
    assert (await verify_ledger(user.id)).findings == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "nobody@example.com", "amount": 5}, "No user"),
        ({"amount": -500}, "Insufficient credits"),
        ({"amount": -5, "free_credits": True}, "a bonus is positive"),
    ],
)
async def test_grant_form_errors_are_shown(
    operator: httpx.AsyncClient, user: CreditUser, body: dict, message: str
) -> None:
    response = await operator.post(
        f"{FORMS}/grant-credits/", json={"email": user.email, "reason": "x", **body}
    )
    assert response.status_code == 422
    assert message in response.json()["custom_form_error"]
    assert len(await ledger(user.id)) == 1


async def test_refunding_from_the_admin(
    operator: httpx.AsyncClient, user: CreditUser, settings, now
) -> None:
    usage = await spend(
        user.id, amount=12, app_id="chat", description="x", now=now, settings=settings
    )
    body = {"transaction_id": str(usage.transaction.id), "reason": "support ticket"}

    response = await operator.post(f"{FORMS}/refund-usage/", json=body)
    assert response.status_code == 200, response.text
    assert (await balance_row(user.id))["free_credits_remaining"] == 150

    again = await operator.post(f"{FORMS}/refund-usage/", json=body)
    assert again.status_code == 422
    assert "already been refunded" in again.json()["custom_form_error"]


async def test_the_forms_need_an_admin_login(client) -> None:
    client.cookies.clear()
    response = await client.post(
        f"{FORMS}/grant-credits/",
        json={"email": "x@example.com", "amount": 5, "reason": "x"},
    )
    assert response.status_code in (401, 403)
