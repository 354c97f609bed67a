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

from auth_tables.tables import ApiKey, Guild, User, choices_check, utc_now


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


class GuildPoolTransactionType(str, Enum):
    funding = "funding"
    usage = "usage"
    refund = "refund"


class GuildPool(Table, tablename="guild_pools", schema="credits"):
    """A guild's shared credits, one per guild, opened with the guild.
    Members fund it from their own balance and spend from it.

    `version` counts the pool's ledger rows (`guild_pool_transactions`),
    like `balances.version`; `balance` is always `total_funded -
    total_spent` (refunds lower `total_spent`), and the checks refuse an
    overdraft even if code slips."""

    guild = ForeignKey(
        Guild,
        db_column_name="guild_id",
        primary_key=True,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
    )
    balance = Integer(default=0)
    total_funded = Integer(default=0)
    total_spent = Integer(default=0)
    version = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz(auto_update=utc_now)

    guild_pools_balance_non_negative = Check("balance >= 0")
    guild_pools_totals_non_negative = Check("total_funded >= 0 AND total_spent >= 0")
    guild_pools_balance_is_funded_minus_spent = Check(
        "balance = total_funded - total_spent"
    )


class GuildMemberLimit(Table, tablename="guild_member_limits", schema="credits"):
    """What one member may spend from the guild's pool per UTC day and
    month (NULL: no limit), and what they spent: `used_today` on
    `usage_day` and `used_this_month` in that day's month.

    The counters are the pool ledger's usage of this member in those
    windows (less refunds of it), kept in this row because the spend
    statement locks the row and reads its newest version: a sum over the
    ledger within that statement would read the snapshot taken before it
    waited for the lock and miss the spends committed meanwhile.
    `piccolo mana verify_ledger` checks them against the ledger. One row
    per guild and user, opened when the user joins and kept when they
    leave, so leaving and rejoining starts no new day."""

    id = UUID(primary_key=True)
    guild = ForeignKey(
        Guild,
        db_column_name="guild_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
    )
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        index=True,
    )
    daily_limit = Integer(null=True, default=None)
    monthly_limit = Integer(null=True, default=None)
    usage_day = Date(null=True, default=None)
    used_today = Integer(default=0)
    used_this_month = Integer(default=0)
    updated_at = Timestamptz(auto_update=utc_now)

    guild_member_limits_guild_user_unique = Unique(["guild_id", "user_id"])
    guild_member_limits_non_negative = Check(
        "(daily_limit IS NULL OR daily_limit >= 0) "
        "AND (monthly_limit IS NULL OR monthly_limit >= 0) "
        "AND used_today >= 0 AND used_this_month >= used_today"
    )


class GuildPoolTransaction(
    Table, tablename="guild_pool_transactions", schema="credits"
):
    """The pool's ledger: one row per change of a guild's pool, never
    updated. `version` is the pool's `version` after this row (1, 2, 3 ...
    per guild), ordering the rows and, unique per guild, refusing two
    writers that read the same version.

    `funding` moves credits from the member's own balance: its other side is
    the member's ledger row `personal_transaction` (an `adjustment`),
    written in the same database transaction. `usage` spends for a member,
    `refund` gives a usage back (`refund_of`, once). `user` is the member;
    NULL once that account is hard-deleted, so the pool's chain stays whole.
    The idempotency key is unique per guild; `request_fingerprint`
    remembers who sent which body with it."""

    id = UUID(primary_key=True)
    guild = ForeignKey(
        Guild,
        db_column_name="guild_id",
        null=False,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
    )
    user = ForeignKey(
        User,
        db_column_name="user_id",
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
        on_update=OnUpdate.cascade,
        index=True,
    )
    type = Varchar(length=16, choices=GuildPoolTransactionType, null=False)
    amount = Integer(null=False)
    balance_before = Integer(null=False)
    balance_after = Integer(null=False)
    version = Integer(null=False)
    app_id = Varchar(length=255, null=True, default=None)
    description = Text(null=True, default=None)
    metadata = JSONB(null=True, default=None)
    idempotency_key = Varchar(length=255, null=True, default=None)
    request_fingerprint = Varchar(length=64, null=True, default=None)
    personal_transaction = ForeignKey(
        Transaction,
        db_column_name="personal_transaction_id",
        null=True,
        default=None,
        unique=True,
        on_delete=OnDelete.set_null,
        on_update=OnUpdate.cascade,
    )
    refund_of: ForeignKey[GuildPoolTransaction] = ForeignKey(
        "self",
        db_column_name="refund_of",
        null=True,
        default=None,
        unique=True,
        on_delete=OnDelete.no_action,
        on_update=OnUpdate.cascade,
    )
    created_at = Timestamptz(index=True)

    guild_pool_transactions_guild_version_unique = Unique(["guild_id", "version"])
    guild_pool_transactions_guild_idempotency_key_unique = Unique(
        ["guild_id", "idempotency_key"]
    )
    guild_pool_transactions_type_check = Check(
        choices_check("type", GuildPoolTransactionType)
    )
    guild_pool_transactions_amount_sign = Check(
        "(type = 'usage' AND amount < 0) OR (type <> 'usage' AND amount > 0)"
    )
    guild_pool_transactions_chain = Check(
        "balance_before >= 0 AND balance_after = balance_before + amount "
        "AND balance_after >= 0 AND version > 0"
    )
