"""`piccolo mana verify_ledger` also checks Stripe purchases against the
ledger rows that name them. Each test breaks one thing, sees the finding,
and puts it back (the whole ledger is verified after the suite)."""

from __future__ import annotations

import uuid

import httpx

from credit_tables.tables import Package, Purchase
from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.credits.payments.support import deliver, start_sale
from tests.mana_core_auth.credits.support import CreditUser


async def findings(user: CreditUser) -> list[str]:
    return [finding.problem for finding in (await verify_ledger(user.id)).findings]


async def completed_sale(
    client: httpx.AsyncClient, user: CreditUser, package: Package
) -> uuid.UUID:
    sale = await start_sale(client, user, package)
    await deliver(client, sale.completed())
    await deliver(client, sale.refunded(200))
    assert await findings(user) == []
    return uuid.UUID(sale.purchase_id)


async def test_refunded_credits_that_disagree_with_the_ledger_are_found(
    stripe_client: httpx.AsyncClient, user: CreditUser, package: Package
) -> None:
    purchase_id = await completed_sale(stripe_client, user, package)
    where = Purchase.id == purchase_id
    await Purchase.update({Purchase.refunded_credits: 300}).where(where)
    try:
        assert await findings(user) == [
            f"purchase {purchase_id} refunds and disputes took back 300 credits, "
            "the ledger says 200"
        ]
    finally:
        await Purchase.update({Purchase.refunded_credits: 200}).where(where)
    assert await findings(user) == []


async def test_ledger_rows_of_a_purchase_that_is_not_completed_are_found(
    stripe_client: httpx.AsyncClient, user: CreditUser, package: Package
) -> None:
    purchase_id = await completed_sale(stripe_client, user, package)
    where = Purchase.id == purchase_id
    await Purchase.update({Purchase.status: "expired"}).where(where)
    try:
        assert await findings(user) == [
            f"purchase {purchase_id} is expired, but has ledger rows"
        ]
    finally:
        await Purchase.update({Purchase.status: "completed"}).where(where)


async def test_a_completed_purchase_without_its_ledger_row_is_found(
    user: CreditUser, package: Package
) -> None:
    purchase = Purchase(
        user=user.id,
        package=package.id,
        credits=500,
        price_euro_cents=500,
        status="completed",
        stripe_checkout_session_id=f"cs_test_{uuid.uuid4().hex}",
    )
    await Purchase.insert(purchase)
    try:
        assert await findings(user) == [
            f"purchase {purchase.id} is completed with 0 purchase ledger rows, not 1"
        ]
    finally:
        await Purchase.delete().where(Purchase.id == purchase.id)
