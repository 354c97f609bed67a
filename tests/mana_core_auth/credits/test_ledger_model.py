"""A Hypothesis state machine drives random spends (with and without
idempotency keys), balance reads, operator grants, refunds and clock
changes against one real user, and checks each answer, the balance and the
whole ledger against a plain in-memory model after every step.

Hypothesis runs its rules synchronously, so the machine runs in a worker
thread and hands each database call to the test's event loop, where the
app's connection pool lives.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from credit_tables.tables import Transaction, TransactionType
from mana_core_auth.credits.daily_grant import read_balance
from mana_core_auth.credits.errors import (
    AlreadyRefunded,
    IdempotencyKeyReused,
    InsufficientCredits,
)
from mana_core_auth.credits.grants import grant
from mana_core_auth.credits.ledger import (
    LedgerChange,
    utc_date,
    utc_day_start,
)
from mana_core_auth.credits.refunds import refund
from mana_core_auth.credits.spending import spend
from mana_core_auth.credits.verification import verify_ledger
from mana_core_auth.settings import Settings
from tests.mana_core_auth.credits.support import balance_row, create_user, main_app

T = TypeVar("T")


@dataclass
class Usage:
    amount: int
    from_free: int
    refunded: bool = False


@dataclass
class Model:
    """The ledger rules, in plain Python."""

    paid: int
    free: int
    daily: int
    last_grant_day: date
    earned: int
    spent: int = 0
    rows: int = 0
    usages: dict[uuid.UUID, Usage] = field(default_factory=dict)
    # key -> (request, first answer)
    keys: dict[str, tuple[tuple[int, str, str], LedgerChange]] = field(
        default_factory=dict
    )

    def grant_daily_if_due(self, now: datetime) -> None:
        if utc_date(now) > self.last_grant_day:
            self.last_grant_day = utc_date(now)
            if self.daily:
                self.free += self.daily
                self.earned += self.daily
                self.rows += 1


def make_machine(
    loop: asyncio.AbstractEventLoop, settings: Settings
) -> type[RuleBasedStateMachine]:
    def run(awaitable: Awaitable[T]) -> T:
        async def wait() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wait(), loop).result(timeout=60)

    class LedgerMachine(RuleBasedStateMachine):
        @initialize(bonus=st.integers(0, 40), daily=st.sampled_from([0, 5]))
        def open_account(self, bonus: int, daily: int) -> None:
            user = run(create_user(signup_bonus=bonus, daily_free=daily))
            self.user_id = user.id
            opened = run(balance_row(user.id))["last_daily_reset_at"]
            # Noon of the next day, so every run sees the same day changes
            # whatever the real time (Hypothesis replays must not differ).
            self.now = utc_day_start(opened) + timedelta(days=1, hours=12)
            self.model = Model(
                paid=0,
                free=bonus,
                daily=daily,
                last_grant_day=utc_date(opened),
                earned=bonus,
                rows=1 if bonus else 0,
            )

        @rule(hours=st.integers(1, 40))
        def time_passes(self, hours: int) -> None:
            self.now += timedelta(hours=hours)

        @rule(
            amount=st.integers(1, 30),
            app_id=st.sampled_from(["chat", "picture"]),
            description=st.sampled_from(["a", "b"]),
            key=st.none() | st.sampled_from(["k1", "k2", "k3"]),
        )
        def spend_credits(
            self, amount: int, app_id: str, description: str, key: str | None
        ) -> None:
            model = self.model
            request = (amount, app_id, description)
            if key is not None and key in model.keys:
                first_request, first_answer = model.keys[key]
                if request == first_request:
                    assert self._spend(request, key) == first_answer
                else:
                    try:
                        self._spend(request, key)
                    except IdempotencyKeyReused:
                        return
                    raise AssertionError("a reused key with another body was taken")
                return
            model.grant_daily_if_due(self.now)
            if model.paid + model.free < amount:
                try:
                    self._spend(request, key)
                except InsufficientCredits:
                    return
                raise AssertionError("spent more than the user has")
            before = model.paid + model.free
            from_free = min(amount, model.free)
            model.free -= from_free
            model.paid -= amount - from_free
            model.spent += amount
            model.rows += 1
            change = self._spend(request, key)
            entry = change.transaction
            assert (entry.amount, entry.balance_before, entry.balance_after) == (
                -amount,
                before,
                before - amount,
            )
            assert (
                change.new_balance.balance,
                change.new_balance.free_credits_remaining,
                change.new_balance.total_spent,
            ) == (model.paid, model.free, model.spent)
            model.usages[entry.id] = Usage(amount, from_free)
            if key is not None:
                model.keys[key] = (request, change)

        def _spend(
            self, request: tuple[int, str, str], key: str | None
        ) -> LedgerChange:
            amount, app_id, description = request
            return run(
                spend(
                    self.user_id,
                    amount=amount,
                    app_id=app_id,
                    description=description,
                    idempotency_key=key,
                    now=self.now,
                    settings=settings,
                )
            )

        @rule()
        def read(self) -> None:
            self.model.grant_daily_if_due(self.now)
            view = run(read_balance(self.user_id, now=self.now, settings=settings))
            model = self.model
            assert (
                view.balance,
                view.free_credits_remaining,
                view.total_earned,
                view.total_spent,
                view.daily_free_credits,
            ) == (model.paid, model.free, model.earned, model.spent, model.daily)

        @rule(amount=st.integers(-30, 50).filter(bool), free=st.booleans())
        def operator_grants(self, amount: int, free: bool) -> None:
            model = self.model
            kind = TransactionType.bonus if free else TransactionType.adjustment
            call = grant(
                self.user_id,
                amount,
                reason="model",
                kind=kind,
                now=self.now,
                settings=settings,
            )
            if free and amount < 0:
                call.close()
                return  # refused before touching the database; see test_grants
            if model.paid + amount < 0 and not free:
                try:
                    run(call)
                except InsufficientCredits:
                    return
                raise AssertionError("took more paid credits than there were")
            change = run(call)
            if free:
                model.free += amount
            else:
                model.paid += amount
            model.earned += amount
            model.rows += 1
            assert change.new_balance.balance == model.paid
            assert change.new_balance.free_credits_remaining == model.free

        @precondition(lambda self: bool(self.model.usages))
        @rule(data=st.data())
        def refund_a_usage(self, data: st.DataObject) -> None:
            model = self.model
            usage_id = data.draw(st.sampled_from(list(model.usages)))  # in spend order
            usage = model.usages[usage_id]
            if usage.refunded:
                try:
                    run(refund(usage_id, reason="again", now=self.now))
                except AlreadyRefunded:
                    return
                raise AssertionError("refunded twice")
            change = run(refund(usage_id, reason="model", now=self.now))
            usage.refunded = True
            model.free += usage.from_free
            model.paid += usage.amount - usage.from_free
            model.spent -= usage.amount
            model.rows += 1
            assert change.transaction.amount == usage.amount
            assert change.new_balance.balance == model.paid
            assert change.new_balance.free_credits_remaining == model.free

        @invariant()
        def database_matches_the_model(self) -> None:
            if not hasattr(self, "model"):
                return
            model = self.model
            row = run(balance_row(self.user_id))
            assert (
                row["balance"],
                row["free_credits_remaining"],
                row["total_earned"],
                row["total_spent"],
            ) == (model.paid, model.free, model.earned, model.spent)
            rows = run(Transaction.count().where(Transaction.user == self.user_id))
            assert rows == model.rows
            report = run(verify_ledger(self.user_id))
            assert report.findings == []

    return LedgerMachine


async def test_the_ledger_behaves_like_the_model(app: Any) -> None:
    machine = make_machine(asyncio.get_running_loop(), main_app().state.settings)
    options = hypothesis_settings(
        max_examples=50,
        stateful_step_count=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    await asyncio.to_thread(run_state_machine_as_test, machine, settings=options)
