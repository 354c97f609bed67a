"""GET /credits/transactions, /purchases, /packages and /usage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from credit_tables.tables import Package, Purchase, TransactionStatus
from mana_core_auth.credits.spending import spend
from tests.mana_core_auth.credits.support import USE, CreditUser, create_user

TRANSACTIONS = "/api/v1/credits/transactions"


async def use(client, user: CreditUser, amount: int, app_id: str = "chat") -> Any:
    response = await client.post(
        USE,
        json={"amount": amount, "appId": app_id, "description": f"use {amount}"},
        headers=user.headers,
    )
    assert response.status_code == 201
    return response.json()["transaction"]


async def test_transactions_are_newest_first_and_paged(
    client, user: CreditUser
) -> None:
    for amount in (1, 2, 3, 4):
        await use(client, user, amount)

    everything = await client.get(TRANSACTIONS, headers=user.headers)
    assert everything.status_code == 200
    assert [t["amount"] for t in everything.json()] == [-4, -3, -2, -1, 150]

    page = await client.get(
        TRANSACTIONS, params={"limit": 2, "offset": 1}, headers=user.headers
    )
    assert [t["amount"] for t in page.json()] == [-3, -2]


async def test_transactions_filter_by_app_and_type(client, user: CreditUser) -> None:
    await use(client, user, 1, "chat")
    await use(client, user, 2, "picture")

    by_app = await client.get(
        TRANSACTIONS, params={"appId": "picture"}, headers=user.headers
    )
    assert [t["amount"] for t in by_app.json()] == [-2]
    by_type = await client.get(
        TRANSACTIONS, params={"type": "bonus"}, headers=user.headers
    )
    assert [t["type"] for t in by_type.json()] == ["bonus"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 101},
        {"limit": 0},
        {"offset": -1},
        {"type": "gift"},
        {"limit": "x"},
        # Past PostgreSQL's bigint, and NUL, which text cannot hold (were 500s).
        {"offset": 2**63},
        {"appId": "chat\x00"},
    ],
)
async def test_transaction_paging_is_bounded(
    client, user: CreditUser, params: dict[str, Any]
) -> None:
    response = await client.get(TRANSACTIONS, params=params, headers=user.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"


async def test_the_largest_offset_is_an_empty_page(client, user: CreditUser) -> None:
    for path in (TRANSACTIONS, "/api/v1/credits/purchases"):
        response = await client.get(
            path, params={"offset": 2**63 - 1}, headers=user.headers
        )
        assert response.status_code == 200, response.text
        assert response.json() == []
        response = await client.get(
            path, params={"offset": 2**63}, headers=user.headers
        )
        assert response.status_code == 400, response.text


async def test_transactions_show_only_the_callers_own(client, user: CreditUser) -> None:
    other = await create_user()
    await use(client, other, 9)
    response = await client.get(TRANSACTIONS, headers=user.headers)
    assert all(t["userId"] == str(user.id) for t in response.json())


async def test_purchases_are_newest_first(client, user: CreditUser, now) -> None:
    for days_ago, credits in ((2, 500), (1, 1000)):
        await Purchase.insert(
            Purchase(
                user=user.id,
                credits=credits,
                price_euro_cents=credits,
                status=TransactionStatus.completed,
                created_at=now - timedelta(days=days_ago),
            )
        )
    response = await client.get("/api/v1/credits/purchases", headers=user.headers)
    assert response.status_code == 200
    purchases = response.json()
    assert [p["credits"] for p in purchases] == [1000, 500]
    assert set(purchases[0]) == {
        "id",
        "packageId",
        "credits",
        "priceEuroCents",
        "status",
        "refundedCredits",
        "createdAt",
        "completedAt",
    }


async def test_packages_are_the_active_ones_by_sort_order(client) -> None:
    hidden = Package(
        name="Retired", credits=1, price_euro_cents=1, active=False, sort_order=0
    )
    await Package.insert(hidden)
    try:
        response = await client.get("/api/v1/credits/packages")
    finally:
        await Package.delete().where(Package.id == hidden.id)
    assert response.status_code == 200
    packages = response.json()
    assert "Retired" not in [p["name"] for p in packages]
    orders = [p["sortOrder"] for p in packages]
    assert orders == sorted(orders)
    # The seeded defaults: 100 mana = 1 EUR.
    assert {(p["name"], p["credits"], p["priceEuroCents"]) for p in packages} >= {
        ("Starter", 500, 500),
        ("Pro", 5000, 5000),
    }


async def test_usage_per_app_and_day(client, settings, now) -> None:
    user = await create_user()
    yesterday, today = now - timedelta(days=1), now
    for when, app_id, amount in (
        (yesterday, "chat", 2),
        (yesterday, "chat", 3),
        (today, "chat", 1),
        (today, "picture", 4),
    ):
        await spend(
            user.id,
            amount=amount,
            app_id=app_id,
            description="x",
            now=when,
            settings=settings,
        )

    response = await client.get("/api/v1/credits/usage", headers=user.headers)
    assert response.status_code == 200
    assert response.json() == [
        {"appId": "chat", "date": today.date().isoformat(), "creditsUsed": 1},
        {"appId": "picture", "date": today.date().isoformat(), "creditsUsed": 4},
        {"appId": "chat", "date": yesterday.date().isoformat(), "creditsUsed": 5},
    ]
    only_yesterday = await client.get(
        "/api/v1/credits/usage",
        params={
            "from": yesterday.date().isoformat(),
            "to": yesterday.date().isoformat(),
        },
        headers=user.headers,
    )
    assert [u["creditsUsed"] for u in only_yesterday.json()] == [5]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"from": "2020-01-01", "to": "2026-01-01"},
        {"from": "soon"},
        {"appId": "chat\x00"},
    ],
)
async def test_usage_ranges_are_bounded(
    client, user: CreditUser, params: dict[str, str]
) -> None:
    response = await client.get(
        "/api/v1/credits/usage", params=params, headers=user.headers
    )
    assert response.status_code == 400


@pytest.mark.parametrize("to", ["0001-01-01", "0001-01-29", "9999-12-31"])
async def test_usage_up_to_the_ends_of_the_calendar(
    client, user: CreditUser, to: str
) -> None:
    """The default 30 days before `to` stop at the first date there is
    (subtracting them from 0001-01-10 would leave the calendar)."""
    response = await client.get(
        "/api/v1/credits/usage", params={"to": to}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == []
