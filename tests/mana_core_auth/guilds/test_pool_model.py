"""A Hypothesis state machine drives fundings, pool spends (with and
without idempotency keys), limits, refunds, the members' own spends and
clock changes against one real guild of three members, and checks each
answer, the pool, every member's own balance, both ledgers and the limit
counters against a plain in-memory model after every step.

As in `credits/test_ledger_model.py`, the machine runs in a worker thread
and hands each database call to the test's event loop.
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

from auth_tables.tables import Guild, GuildRole
from credit_tables.tables import GuildPool
from mana_core_auth.credits.errors import (
    AlreadyRefunded,
    IdempotencyKeyReused,
    InsufficientCredits,
)
from mana_core_auth.credits.ledger import utc_date, utc_day_start
from mana_core_auth.credits.spending import spend as spend_own
from mana_core_auth.credits.verification import verify_ledger
from mana_core_auth.guilds import limits, membership, pool, refunds
from mana_core_auth.guilds.errors import SpendingLimitExceeded
from mana_core_auth.guilds.funding import Funding, fund
from mana_core_auth.guilds.verification import verify_pools
from mana_core_auth.settings import Settings
from tests.mana_core_auth.credits.support import balance_row, create_user, main_app

T = TypeVar("T")
MEMBERS = (0, 1, 2)  # 0 is the owner
KEYS = ("k1", "k2", "k3")


@dataclass
class Person:
    paid: int
    free: int
    daily: int
    last_grant_day: date
    earned: int
    spent: int = 0

    @property
    def total(self) -> int:
        return self.paid + self.free

    def grant_daily_if_due(self, now: datetime) -> None:
        if utc_date(now) > self.last_grant_day:
            self.last_grant_day = utc_date(now)
            self.free += self.daily
            self.earned += self.daily

    def take(self, amount: int) -> None:
        """Free credits first."""
        from_free = min(amount, self.free)
        self.free -= from_free
        self.paid -= amount - from_free
        self.spent += amount


@dataclass
class Counter:
    daily_limit: int | None = None
    monthly_limit: int | None = None
    day: date | None = None
    today: int = 0
    month: int = 0

    def used(self, day: date) -> tuple[int, int]:
        today = self.today if self.day == day else 0
        same_month = self.day is not None and (self.day.year, self.day.month) == (
            day.year,
            day.month,
        )
        return today, self.month if same_month else 0


@dataclass
class Usage:
    member: int
    amount: int
    day: date
    refunded: bool = False


@dataclass
class Model:
    people: list[Person]
    pool: int = 0
    funded: int = 0
    pool_spent: int = 0
    counters: list[Counter] = field(
        default_factory=lambda: [Counter() for _ in MEMBERS]
    )
    usages: dict[uuid.UUID, Usage] = field(default_factory=dict)
    # key -> (operation, member, body, first answer)
    keys: dict[str, tuple[str, int, tuple[Any, ...], Any]] = field(default_factory=dict)


def make_machine(
    loop: asyncio.AbstractEventLoop, settings: Settings
) -> type[RuleBasedStateMachine]:
    def run(awaitable: Awaitable[T]) -> T:
        async def wait() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wait(), loop).result(timeout=60)

    class PoolMachine(RuleBasedStateMachine):
        @initialize(
            bonuses=st.lists(st.integers(0, 60), min_size=3, max_size=3),
            daily=st.sampled_from([0, 5]),
        )
        def open_guild(self, bonuses: list[int], daily: int) -> None:
            users = [
                run(create_user(signup_bonus=bonus, daily_free=daily))
                for bonus in bonuses
            ]
            self.users = users
            opened = run(balance_row(users[0].id))["last_daily_reset_at"]
            # Noon of the next day: every run sees the same day changes.
            self.now = utc_day_start(opened) + timedelta(days=1, hours=12)
            self.guild_id = run(
                membership.create_guild(
                    users[0].id, name="Model", slug=None, now=self.now
                )
            )
            for user in users[1:]:
                run(self._join(user.id))
            self.model = Model(
                people=[
                    Person(
                        paid=0,
                        free=bonus,
                        daily=daily,
                        last_grant_day=utc_date(opened),
                        earned=bonus,
                    )
                    for bonus in bonuses
                ]
            )

        async def _join(self, user_id: uuid.UUID) -> None:
            async with Guild._meta.db.transaction():
                await (
                    Guild.select(Guild.id).where(Guild.id == self.guild_id).lock_rows()
                )
                await membership.join(
                    self.guild_id, user_id, GuildRole.member, now=self.now
                )

        @rule(hours=st.integers(1, 40))
        def time_passes(self, hours: int) -> None:
            self.now += timedelta(hours=hours)

        def _reused(
            self, key: str | None, operation: str, member: int, body: tuple, call: Any
        ) -> bool:
            """A key seen before: the same request gets the first answer,
            another is refused; True if handled."""
            if key is None or key not in self.model.keys:
                return False
            first = self.model.keys[key]
            if first[:3] == (operation, member, body):
                assert run(call()) == first[3]
            else:
                try:
                    run(call())
                except IdempotencyKeyReused:
                    return True
                raise AssertionError("a reused key with another request was taken")
            return True

        @rule(
            member=st.sampled_from(MEMBERS),
            amount=st.integers(1, 40),
            key=st.none() | st.sampled_from(KEYS),
        )
        def fund_the_pool(self, member: int, amount: int, key: str | None) -> None:
            def call() -> Awaitable[Funding]:
                return fund(
                    self.guild_id,
                    self.users[member].id,
                    amount=amount,
                    idempotency_key=key,
                    now=self.now,
                    settings=settings,
                )

            if self._reused(key, "fund", member, (amount,), call):
                return
            person, model = self.model.people[member], self.model
            person.grant_daily_if_due(self.now)
            if person.total < amount:
                try:
                    run(call())
                except InsufficientCredits:
                    return
                raise AssertionError("funded with credits the member does not have")
            person.take(amount)
            model.pool += amount
            model.funded += amount
            funding = run(call())
            assert funding.pool_change.pool.balance == model.pool
            assert funding.pool_change.transaction.amount == amount
            assert (
                funding.personal_change.new_balance.balance,
                funding.personal_change.new_balance.free_credits_remaining,
                funding.personal_change.new_balance.total_spent,
            ) == (person.paid, person.free, person.spent)
            if key is not None:
                model.keys[key] = ("fund", member, (amount,), funding)

        @rule(
            member=st.sampled_from(MEMBERS),
            amount=st.integers(1, 25),
            key=st.none() | st.sampled_from(KEYS),
        )
        def spend_from_the_pool(
            self, member: int, amount: int, key: str | None
        ) -> None:
            def call() -> Awaitable[pool.PoolChange]:
                return pool.spend(
                    self.guild_id,
                    self.users[member].id,
                    amount=amount,
                    app_id="chat",
                    description="model",
                    idempotency_key=key,
                    now=self.now,
                )

            if self._reused(key, "use", member, (amount,), call):
                return
            model, counter = self.model, self.model.counters[member]
            day = utc_date(self.now)
            today, month = counter.used(day)
            over_limit = (
                counter.daily_limit is not None and today + amount > counter.daily_limit
            ) or (
                counter.monthly_limit is not None
                and month + amount > counter.monthly_limit
            )
            if over_limit or model.pool < amount:
                expected = SpendingLimitExceeded if over_limit else InsufficientCredits
                try:
                    run(call())
                except expected:
                    return
                raise AssertionError(f"spent past the {expected.__name__}")
            before = model.pool
            model.pool -= amount
            model.pool_spent += amount
            counter.day, counter.today, counter.month = (
                day,
                today + amount,
                month + amount,
            )
            change = run(call())
            entry = change.transaction
            assert (entry.amount, entry.balance_before, entry.balance_after) == (
                -amount,
                before,
                model.pool,
            )
            assert (change.pool.balance, change.pool.total_spent) == (
                model.pool,
                model.pool_spent,
            )
            model.usages[entry.id] = Usage(member, amount, day)
            if key is not None:
                model.keys[key] = ("use", member, (amount,), change)

        @rule(member=st.sampled_from(MEMBERS), amount=st.integers(1, 20))
        def spend_own_credits(self, member: int, amount: int) -> None:
            person = self.model.people[member]
            person.grant_daily_if_due(self.now)
            call = spend_own(
                self.users[member].id,
                amount=amount,
                app_id="chat",
                description="own",
                now=self.now,
                settings=settings,
            )
            if person.total < amount:
                try:
                    run(call)
                except InsufficientCredits:
                    return
                raise AssertionError("spent more than the member has")
            person.take(amount)
            change = run(call)
            assert change.new_balance.balance == person.paid
            assert change.new_balance.free_credits_remaining == person.free

        @rule(
            member=st.sampled_from(MEMBERS),
            daily=st.none() | st.integers(0, 40),
            monthly=st.none() | st.integers(0, 120),
        )
        def set_limits(
            self, member: int, daily: int | None, monthly: int | None
        ) -> None:
            found = run(
                limits.set_limits(
                    self.guild_id,
                    self.users[0].id,
                    self.users[member].id,
                    daily_limit=daily,
                    monthly_limit=monthly,
                    now=self.now,
                )
            )
            counter = self.model.counters[member]
            counter.daily_limit, counter.monthly_limit = daily, monthly
            today, month = counter.used(utc_date(self.now))
            assert (found.used_today, found.used_this_month) == (today, month)

        @precondition(lambda self: bool(self.model.usages))
        @rule(data=st.data())
        def refund_a_usage(self, data: st.DataObject) -> None:
            model = self.model
            usage_id = data.draw(st.sampled_from(list(model.usages)))
            usage = model.usages[usage_id]
            call = refunds.refund(self.guild_id, usage_id, reason="model", now=self.now)
            if usage.refunded:
                try:
                    run(call)
                except AlreadyRefunded:
                    return
                raise AssertionError("refunded twice")
            change = run(call)
            usage.refunded = True
            model.pool += usage.amount
            model.pool_spent -= usage.amount
            counter = model.counters[usage.member]
            if counter.day == usage.day:
                counter.today -= usage.amount
            if counter.day is not None and (counter.day.year, counter.day.month) == (
                usage.day.year,
                usage.day.month,
            ):
                counter.month -= usage.amount
            assert change.pool.balance == model.pool

        @invariant()
        def database_matches_the_model(self) -> None:
            if not hasattr(self, "model"):
                return
            model = self.model
            row = run(
                GuildPool.select().where(GuildPool.guild == self.guild_id).first()
            )
            assert row is not None
            assert (row["balance"], row["total_funded"], row["total_spent"]) == (
                model.pool,
                model.funded,
                model.pool_spent,
            )
            for user, person in zip(self.users, model.people, strict=True):
                own = run(balance_row(user.id))
                assert (
                    own["balance"],
                    own["free_credits_remaining"],
                    own["total_earned"],
                    own["total_spent"],
                ) == (person.paid, person.free, person.earned, person.spent)
                assert run(verify_ledger(user.id)).findings == []
            for user, counter in zip(self.users, model.counters, strict=True):
                found = run(
                    limits.read_limits(self.guild_id, user.id, user.id, now=self.now)
                )
                assert (found.used_today, found.used_this_month) == counter.used(
                    utc_date(self.now)
                )
            assert run(verify_pools(self.guild_id)).findings == []

    return PoolMachine


async def test_pool_and_own_balances_behave_like_the_model(app: Any) -> None:
    machine = make_machine(asyncio.get_running_loop(), main_app().state.settings)
    options = hypothesis_settings(
        max_examples=30,
        stateful_step_count=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    await asyncio.to_thread(run_state_machine_as_test, machine, settings=options)
