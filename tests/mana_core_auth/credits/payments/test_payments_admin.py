"""Operators edit packages in the admin and see purchases (with what
refunds and disputes took back, and any shortfall) and the Stripe events
behind them; the events themselves cannot be edited."""

from __future__ import annotations

import httpx

from credit_tables.tables import Package, StripeEvent
from tests.mana_core_auth.credits.payments.support import deliver, start_sale
from tests.mana_core_auth.credits.support import create_user
from tests.mana_core_auth.test_admin import admin_client, https_client  # noqa: F401


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {
        "X-CSRFToken": client.cookies.get("csrftoken") or "",
        "Referer": f"{client.base_url}/admin/",
    }


async def test_operators_edit_a_package(admin_client, package: Package) -> None:  # noqa: F811
    response = await admin_client.patch(
        f"/admin/api/tables/packages/{package.id}/",
        json={
            "name": "Starter+",
            "credits": 600,
            "price_euro_cents": 550,
            "stripe_price_id": f"price_{package.id.hex[:12]}",
            "active": False,
            "sort_order": 5,
        },
        headers=csrf(admin_client),
    )
    assert response.status_code == 200, response.text
    row = await Package.select().where(Package.id == package.id).first()
    assert row is not None
    assert (row["name"], row["credits"], row["price_euro_cents"]) == (
        "Starter+",
        600,
        550,
    )
    assert row["stripe_price_id"] == f"price_{package.id.hex[:12]}"
    assert (row["active"], row["sort_order"]) == (False, 5)


async def test_operators_see_purchases_and_their_events(
    admin_client,  # noqa: F811
    stripe_client: httpx.AsyncClient,
    package: Package,
) -> None:
    user = await create_user(signup_bonus=0)
    sale = await start_sale(stripe_client, user, package)
    await deliver(stripe_client, sale.completed())
    await stripe_client.post(
        "/api/v1/credits/use",
        json={"amount": 300, "appId": "chat", "description": "x"},
        headers=user.headers,
    )
    await deliver(stripe_client, sale.refunded(500))

    purchase = await admin_client.get(
        f"/admin/api/tables/purchases/{sale.purchase_id}/"
    )
    events = await admin_client.get(
        "/admin/api/tables/stripe_events/",
        params={"__order": "-received_at", "__page_size": 50},
    )

    assert purchase.status_code == events.status_code == 200, purchase.text
    shown = purchase.json()
    assert shown["status"] == "completed"
    assert (shown["refunded_credits"], shown["credit_shortfall"]) == (500, 300)
    rows = [row for row in events.json()["rows"] if row["purchase"] == sale.purchase_id]
    assert sorted(row["type"] for row in rows) == [
        "charge.refunded",
        "checkout.session.completed",
    ]

    event_id = rows[0]["id"]
    edited = await admin_client.patch(
        f"/admin/api/tables/stripe_events/{event_id}/",
        json={"outcome": "nothing"},
        headers=csrf(admin_client),
    )
    assert edited.status_code == 405
    assert await StripeEvent.exists().where(StripeEvent.outcome != "nothing")
