"""Schema `credits`: balances, the append-only ledger, packages, purchases
and per-day usage. Every balance change has its ledger row in the same
transaction (see `mana_core_auth.credits`)."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSONB,
    UUID,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.readable import Readable
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from auth_tables.tables import ApiKey, User, choices_check, utc_now


class TransactionType(str, Enum):
    purchase = "purchase"
    usage = "usage"
    refund = "refund"
    bonus = "bonus"
    expiry = "expiry"
    adjustment = "adjustment"


class TransactionStatus(str, Enum):
    pending = "pending"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


class PurchaseStatus(str, Enum):
    pending = "pending"
    completed = "completed"
    expired = "expired"
    failed = "failed"
    cancelled = "cancelled"


class Balance(Table, tablename="balances", schema="credits"):
    """A user's credits: `balance` is paid mana, `free_credits_remaining` the
    free mana (signup bonus and daily grants), spent first. `daily_free_credits`
    is how much the daily grant gives; `last_daily_reset_at` when it last did.

    Checks keep every amount non-negative, so the database refuses an
    overdraft even if code slips."""

    user = ForeignKey(
        User,
        db_column_name="user_id",
        primary_key=True,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
    )
    balance = Integer(default=0)
    free_credits_remaining = Integer(default=150)
    daily_free_credits = Integer(default=5)
    last_daily_reset_at = Timestamptz(null=True, default=None)
    total_earned = Integer(default=0)
    total_spent = Integer(default=0)
    version = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz(auto_update=utc_now)

    balances_balance_non_negative = Check("balance >= 0")
    balances_free_credits_non_negative = Check("free_credits_remaining >= 0")
    balances_daily_free_non_negative = Check("daily_free_credits >= 0")
    balances_totals_non_negative = Check("total_earned >= 0 AND total_spent >= 0")


class Transaction(Table, tablename="transactions", schema="credits"):
    """The ledger: one row per change of a balance, never updated after it
    completes. `balance_before`/`balance_after` are paid + free credits.

    `free_amount` is the part of `amount` that moved free
    credits (the rest moved paid ones), so a refund can give back exactly what
    a usage took and each pool is checkable on its own. `balance_version` is
    the balance's `version` after this row (1, 2, 3 ... per user): it orders a
    user's ledger, which `created_at` cannot (the time is taken before the
    balance row is locked), and, unique per user, refuses two writers that
    both read the same version.

    The idempotency key is unique per user, so one user's key never answers
    for another's request, and `request_fingerprint` remembers the request
    body so that the same key with a different body is refused. `refund_of`
    links a refund to the usage it reverses; its uniqueness allows one refund
    per usage. `api_key` is the key that spent, when an API key did."""

    id = UUID(primary_key=True)
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        index=True,
    )
    type = Varchar(length=16, choices=TransactionType, null=False)
    status = Varchar(
        length=16, choices=TransactionStatus, default=TransactionStatus.pending
    )
    amount = Integer(null=False)
    free_amount = Integer(default=0, null=False)
    balance_before = Integer(null=False)
    balance_after = Integer(null=False)
    balance_version = Integer(null=True, default=None)
    app_id = Varchar(length=255, null=True, default=None, index=True)
    description = Text(null=True, default=None)
    metadata = JSONB(null=True, default=None)
    idempotency_key = Varchar(length=255, null=True, default=None)
    request_fingerprint = Varchar(length=64, null=True, default=None)
    refund_of: ForeignKey[Transaction] = ForeignKey(
        "self",
        null=True,
        default=None,
        unique=True,
        on_delete=OnDelete.no_action,
        on_update=OnUpdate.cascade,
    )
    api_key = ForeignKey(
        ApiKey,
        db_column_name="api_key_id",
        null=True,
        default=None,
        on_delete=OnDelete.no_action,
        on_update=OnUpdate.cascade,
    )
    created_at = Timestamptz(index=True)
    completed_at = Timestamptz(null=True, default=None)

    transactions_user_idempotency_key_unique = Unique(["user_id", "idempotency_key"])
    transactions_type_check = Check(choices_check("type", TransactionType))
    transactions_status_check = Check(choices_check("status", TransactionStatus))
    transactions_balance_after_non_negative = Check(
        "balance_before >= 0 AND balance_after >= 0"
    )
    transactions_amount_non_zero = Check("amount <> 0")
    transactions_free_amount_within_amount = Check(
        "free_amount BETWEEN LEAST(amount, 0) AND GREATEST(amount, 0)"
    )
    transactions_user_balance_version_unique = Unique(["user_id", "balance_version"])
    transactions_balance_version_positive = Check("balance_version > 0")

    @classmethod
    def get_readable(cls) -> Readable:
        """How the admin shows a ledger row another row refers to (a refund's
        usage): its type and amount."""
        return Readable(template="%s %s", columns=[cls.type, cls.amount])


class Package(Table, tablename="packages", schema="credits"):
    """A credit package on sale (100 mana = 1 EUR by default)."""

    id = UUID(primary_key=True)
    name = Varchar(length=255, null=False)
    description = Text(null=True, default=None)
    credits = Integer(null=False)
    price_euro_cents = Integer(null=False)
    stripe_price_id = Varchar(length=255, null=True, default=None, unique=True)
    active = Boolean(default=True)
    sort_order = Integer(default=0)
    metadata = JSONB(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz(auto_update=utc_now)

    packages_credits_positive = Check("credits > 0")
    packages_price_positive = Check("price_euro_cents > 0")

    @classmethod
    def get_readable(cls) -> Readable:
        return Readable(template="%s", columns=[cls.name])


class Purchase(Table, tablename="purchases", schema="credits"):
    """A payment for credits through Stripe Checkout.

    `credits` and `price_euro_cents` are what was sold (the price is
    replaced by what Stripe charged once the payment completes). Refunds
    and disputes take credits back: `refunded_credits` is what the refunds
    of the payment call back, `disputed_credits` what an open or lost
    dispute holds, `credit_shortfall` the part of those the user had
    already spent and so could not be taken. The ledger's `refund` rows
    naming the purchase add up to -(min(credits, refunded + disputed) -
    shortfall); `piccolo mana verify_ledger` checks it. `dispute_status`
    is Stripe's last word on the dispute, so a late `created` event cannot
    reopen a closed one.

    `status` has its own choices (`expired` is not a ledger status)."""

    id = UUID(primary_key=True)
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        index=True,
    )
    package = ForeignKey(
        Package,
        db_column_name="package_id",
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
        on_update=OnUpdate.cascade,
    )
    credits = Integer(null=False)
    price_euro_cents = Integer(null=False)
    stripe_checkout_session_id = Varchar(
        length=255, null=True, default=None, unique=True
    )
    stripe_payment_intent_id = Varchar(length=255, null=True, default=None, unique=True)
    stripe_customer_id = Varchar(length=255, null=True, default=None)
    status = Varchar(length=16, choices=PurchaseStatus, default=PurchaseStatus.pending)
    refunded_credits = Integer(default=0, null=False)
    disputed_credits = Integer(default=0, null=False)
    credit_shortfall = Integer(default=0, null=False)
    dispute_status = Varchar(length=32, null=True, default=None)
    metadata = JSONB(null=True, default=None)
    created_at = Timestamptz()
    completed_at = Timestamptz(null=True, default=None)

    purchases_credits_positive = Check("credits > 0")
    purchases_price_non_negative = Check("price_euro_cents >= 0")
    purchases_status_valid = Check(choices_check("status", PurchaseStatus))
    purchases_taken_back_within_credits = Check(
        "refunded_credits BETWEEN 0 AND credits "
        "AND disputed_credits BETWEEN 0 AND credits "
        "AND credit_shortfall BETWEEN 0 AND credits"
    )


class StripeEvent(Table, tablename="stripe_events", schema="credits"):
    """Every Stripe webhook event received, once per event id (Stripe
    retries a delivery with the same id). Recorded in the transaction that
    applies it, so an event is either recorded and applied or neither.

    A refund or dispute event whose purchase has not completed yet (events
    can arrive in any order) waits with `processed_at` unset and its Stripe
    object in `payload`; it is applied, and its payload dropped, in the
    transaction that completes the purchase. `outcome` says what the event
    did."""

    id = UUID(primary_key=True)
    event_id = Varchar(length=255, null=False, unique=True)
    type = Varchar(length=255, null=False)
    object_id = Varchar(length=255, null=True, default=None)
    payment_intent_id = Varchar(length=255, null=True, default=None, index=True)
    purchase = ForeignKey(
        Purchase,
        db_column_name="purchase_id",
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
        on_update=OnUpdate.cascade,
        index=True,
    )
    outcome = Text(null=True, default=None)
    payload = JSONB(null=True, default=None)
    stripe_created_at = Timestamptz(null=True, default=None)
    received_at = Timestamptz()
    processed_at = Timestamptz(null=True, default=None)


class UsageStat(Table, tablename="usage_stats", schema="credits"):
    """Credits used per user, app and UTC day; incremented in the spending
    transaction. The compound indexes (user_id, date) and (app_id, date) are
    created by a hand-written migration: Piccolo does not generate them."""

    id = UUID(primary_key=True)
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
    )
    app_id = Varchar(length=255, null=False)
    credits_used = Integer(default=0)
    date = Date()
    metadata = JSONB(null=True, default=None)

    usage_stats_user_app_date_unique = Unique(["user_id", "app_id", "date"])
    usage_stats_credits_used_non_negative = Check("credits_used >= 0")
