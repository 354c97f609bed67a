"""Stripe delivers events at least once and in any order. Whatever the
order, a purchase ends where its events say it stands: credits granted
once, partial refunds adding up, a refund or dispute that came before the
completion applied after it, a won dispute giving the credits back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from credit_tables.tables import Package
from mana_core_auth.credits.verification import verify_ledger
from tests.mana_core_auth.credits.payments.support import (
    Sale,
    deliver,
    purchase_entries,
    purchase_row,
    start_sale,
    step_body,
)
from tests.mana_core_auth.credits.support import balance_row, create_user


@dataclass(frozen=True)
class Case:
    steps: tuple[str, ...]
    status: str
    paid: int  # the buyer's paid credits afterwards (500 bought for 500 cents)
    rows: int  # ledger rows naming the purchase
    refunded: int = 0
    disputed: int = 0


CASES = {
    "completed twice (one event id)": Case(
        ("completed", "completed"), "completed", 500, 1
    ),
    "completed twice (two event ids)": Case(
        ("completed", "completed-2"), "completed", 500, 1
    ),
    "completed after expired": Case(("expired", "completed"), "completed", 500, 1),
    "expired after completed": Case(("completed", "expired"), "completed", 500, 1),
    "expired": Case(("expired",), "expired", 0, 0),
    "completed unpaid, then async succeeded": Case(
        ("unpaid", "async_succeeded"), "completed", 500, 1
    ),
    "completed and async succeeded": Case(
        ("completed", "async_succeeded"), "completed", 500, 1
    ),
    "completed unpaid, then async failed": Case(
        ("unpaid", "async_failed"), "failed", 0, 0
    ),
    "async failed, then (late) async succeeded": Case(
        ("unpaid", "async_failed", "async_succeeded"), "completed", 500, 1
    ),
    "full refund": Case(("completed", "refund:500"), "completed", 0, 2, refunded=500),
    "refund before completed": Case(
        ("refund:500", "completed"), "completed", 0, 2, refunded=500
    ),
    "partial refunds adding up": Case(
        ("completed", "refund:100", "refund:250", "refund:500"),
        "completed",
        0,
        4,
        refunded=500,
    ),
    "partial refunds, an older one late": Case(
        ("completed", "refund:250", "refund:100"), "completed", 250, 2, refunded=250
    ),
    "partial refunds before completed": Case(
        ("refund:100", "refund:300", "completed"), "completed", 200, 3, refunded=300
    ),
    "refund delivered twice": Case(
        ("completed", "refund:200", "refund:200"), "completed", 300, 2, refunded=200
    ),
    "dispute created, then won": Case(
        ("completed", "dispute_created", "dispute_won"), "completed", 500, 3
    ),
    "dispute created, then lost": Case(
        ("completed", "dispute_created", "dispute_lost"),
        "completed",
        0,
        2,
        disputed=500,
    ),
    "dispute won reported before created": Case(
        ("completed", "dispute_won", "dispute_created"), "completed", 500, 1
    ),
    "dispute before completed": Case(
        ("dispute_created", "completed"), "completed", 0, 2, disputed=500
    ),
    "partial refund, dispute of the rest, won": Case(
        ("completed", "refund:200", "dispute_created:300", "dispute_won"),
        "completed",
        300,
        4,
        refunded=200,
    ),
}


async def run_steps(
    client: httpx.AsyncClient, sale: Sale, steps: tuple[str, ...]
) -> None:
    bodies: dict[str, str] = {}
    for step in steps:
        body = bodies.setdefault(step, step_body(sale, step))
        response = await deliver(client, body)
        assert response.status_code == 200, (step, response.text)


async def check(sale: Sale, case: Case) -> None:
    purchase = await purchase_row(sale.purchase_id)
    balance = await balance_row(sale.user.id)
    entries = await purchase_entries(sale.purchase_id)
    assert purchase["status"] == case.status
    assert balance["balance"] == case.paid
    assert len(entries) == case.rows, entries
    assert sum(entry["amount"] for entry in entries) == case.paid
    assert [e["type"] for e in entries][:1] == (["purchase"] if case.rows else [])
    assert purchase["refunded_credits"] == case.refunded
    assert purchase["disputed_credits"] == case.disputed
    assert purchase["credit_shortfall"] == 0
    assert (await verify_ledger(sale.user.id)).findings == []


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_event_orderings(
    stripe_client: httpx.AsyncClient, package: Package, case: Case
) -> None:
    user = await create_user(signup_bonus=0)
    sale = await start_sale(stripe_client, user, package)
    await run_steps(stripe_client, sale, case.steps)
    await check(sale, case)


COMPLETIONS = {"completed", "completed-2", "async_succeeded"}


def expected(steps: list[str]) -> Case:
    """A plain model of where a purchase of 500 credits for 500 cents
    stands after `steps`: refund and dispute events that arrive before the
    completion are applied right after it, in the order they came."""
    first = next((i for i, step in enumerate(steps) if step in COMPLETIONS), None)
    if first is None:
        closed = [s for s in steps if s in ("expired", "async_failed")]
        status = {"expired": "expired", "async_failed": "failed"}.get(
            closed[0] if closed else "", "pending"
        )
        return Case(tuple(steps), status, 0, 0)
    reversals = [
        step
        for step in steps[:first] + steps[first + 1 :]
        if step.startswith(("refund:", "dispute_"))
    ]
    refunded, dispute, held, taken, rows = 0, "", 0, 0, 1
    for step in reversals:
        if step.startswith("refund:"):
            refunded = max(refunded, int(step.split(":")[1]))
        elif step == "dispute_created":
            if dispute not in ("won", "lost"):
                dispute = "open"
        else:
            dispute = step.removeprefix("dispute_")
        held = 500 if dispute in ("open", "lost") else 0
        target = min(500, refunded + held)
        rows += target != taken
        taken = target
    return Case(
        tuple(steps), "completed", 500 - taken, rows, refunded=refunded, disputed=held
    )


STEP_POOL = st.lists(
    st.sampled_from(
        [
            "completed",
            "completed-2",
            "async_succeeded",
            "expired",
            "refund:100",
            "refund:300",
            "refund:500",
            "dispute_created",
            "dispute_won",
            "dispute_lost",
        ]
    ),
    min_size=1,
    max_size=7,
).filter(lambda steps: not {"dispute_won", "dispute_lost"} <= set(steps))


async def test_any_order_of_events_ends_where_the_model_says(
    stripe_client: httpx.AsyncClient, package: Package
) -> None:
    """Random sequences (with repeats, which redeliver the same event)."""
    loop = asyncio.get_running_loop()

    async def one(steps: list[str]) -> None:
        user = await create_user(signup_bonus=0)
        sale = await start_sale(stripe_client, user, package)
        await run_steps(stripe_client, sale, tuple(steps))
        await check(sale, expected(steps))

    @hypothesis_settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(STEP_POOL)
    def property_holds(steps: list[str]) -> None:
        asyncio.run_coroutine_threadsafe(one(steps), loop).result(timeout=60)

    await asyncio.to_thread(property_holds)
