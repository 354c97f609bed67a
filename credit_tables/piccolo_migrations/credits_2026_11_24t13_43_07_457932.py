from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import JSONB
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.constraints import Unique
from piccolo.table import Table


class Package(Table, tablename="packages", schema="credits"):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


class User(Table, tablename="users", schema="auth"):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-11-24T13:43:07:457932"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="credits", description=DESCRIPTION
    )

    manager.add_table(
        class_name="Package", tablename="packages", schema="credits", columns=None
    )

    manager.add_table(
        class_name="Transaction",
        tablename="transactions",
        schema="credits",
        columns=None,
    )

    manager.add_table(
        class_name="UsageStat",
        tablename="usage_stats",
        schema="credits",
        columns=None,
    )

    manager.add_table(
        class_name="Purchase",
        tablename="purchases",
        schema="credits",
        columns=None,
    )

    manager.add_table(
        class_name="Balance", tablename="balances", schema="credits", columns=None
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="description",
        db_column_name="description",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="credits",
        db_column_name="credits",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="price_euro_cents",
        db_column_name="price_euro_cents",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="stripe_price_id",
        db_column_name="stripe_price_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="active",
        db_column_name="active",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": True,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="sort_order",
        db_column_name="sort_order",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="metadata",
        db_column_name="metadata",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Package",
        tablename="packages",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="user",
        db_column_name="user_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "user_id",
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="type",
        db_column_name="type",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "TransactionType",
                {
                    "purchase": "purchase",
                    "usage": "usage",
                    "refund": "refund",
                    "bonus": "bonus",
                    "expiry": "expiry",
                    "adjustment": "adjustment",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "pending",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "TransactionStatus",
                {
                    "pending": "pending",
                    "completed": "completed",
                    "failed": "failed",
                    "cancelled": "cancelled",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="amount",
        db_column_name="amount",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="balance_before",
        db_column_name="balance_before",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="balance_after",
        db_column_name="balance_after",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="app_id",
        db_column_name="app_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="description",
        db_column_name="description",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="metadata",
        db_column_name="metadata",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="idempotency_key",
        db_column_name="idempotency_key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="request_fingerprint",
        db_column_name="request_fingerprint",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="refund_of",
        db_column_name="refund_of",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": "self",
            "on_delete": OnDelete.no_action,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="completed_at",
        db_column_name="completed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="UsageStat",
        tablename="usage_stats",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="UsageStat",
        tablename="usage_stats",
        column_name="user",
        db_column_name="user_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "user_id",
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="UsageStat",
        tablename="usage_stats",
        column_name="app_id",
        db_column_name="app_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="UsageStat",
        tablename="usage_stats",
        column_name="credits_used",
        db_column_name="credits_used",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="UsageStat",
        tablename="usage_stats",
        column_name="date",
        db_column_name="date",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="UsageStat",
        tablename="usage_stats",
        column_name="metadata",
        db_column_name="metadata",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="user",
        db_column_name="user_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "user_id",
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="package",
        db_column_name="package_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Package,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "package_id",
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="credits",
        db_column_name="credits",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="price_euro_cents",
        db_column_name="price_euro_cents",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="stripe_payment_intent_id",
        db_column_name="stripe_payment_intent_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="stripe_customer_id",
        db_column_name="stripe_customer_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 255,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "pending",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "TransactionStatus",
                {
                    "pending": "pending",
                    "completed": "completed",
                    "failed": "failed",
                    "cancelled": "cancelled",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="metadata",
        db_column_name="metadata",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Purchase",
        tablename="purchases",
        column_name="completed_at",
        db_column_name="completed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Balance",
        tablename="balances",
        column_name="user",
        db_column_name="user_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "user_id",
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Balance",
        tablename="balances",
        column_name="balance",
        db_column_name="balance",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Balance",
        tablename="balances",
        column_name="free_credits_remaining",
        db_column_name="free_credits_remaining",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 150,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Balance",
        tablename="balances",
        column_name="daily_free_credits",
        db_column_name="daily_free_credits",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 5,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Balance",
        tablename="balances",
        column_name="last_daily_reset_at",
        db_column_name="last_daily_reset_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Balance",
        tablename="balances",
        column_name="total_earned",
        db_column_name="total_earned",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Balance",
        tablename="balances",
        column_name="total_spent",
        db_column_name="total_spent",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Balance",
        tablename="balances",
        column_name="version",
        db_column_name="version",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Balance",
        tablename="balances",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="Balance",
        tablename="balances",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Package",
        tablename="packages",
        constraint_name="packages_credits_positive",
        constraint_class=Check,
        params={"condition": "credits > 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Package",
        tablename="packages",
        constraint_name="packages_price_positive",
        constraint_class=Check,
        params={"condition": "price_euro_cents > 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Transaction",
        tablename="transactions",
        constraint_name="transactions_user_idempotency_key_unique",
        constraint_class=Unique,
        params={
            "columns": ["user_id", "idempotency_key"],
            "nulls_distinct": True,
        },
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Transaction",
        tablename="transactions",
        constraint_name="transactions_type_check",
        constraint_class=Check,
        params={
            "condition": "type IN ('purchase', 'usage', 'refund', 'bonus', 'expiry', 'adjustment')"
        },
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Transaction",
        tablename="transactions",
        constraint_name="transactions_status_check",
        constraint_class=Check,
        params={
            "condition": "status IN ('pending', 'completed', 'failed', 'cancelled')"
        },
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Transaction",
        tablename="transactions",
        constraint_name="transactions_balance_after_non_negative",
        constraint_class=Check,
        params={"condition": "balance_before >= 0 AND balance_after >= 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Transaction",
        tablename="transactions",
        constraint_name="transactions_amount_non_zero",
        constraint_class=Check,
        params={"condition": "amount <> 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="UsageStat",
        tablename="usage_stats",
        constraint_name="usage_stats_user_app_date_unique",
        constraint_class=Unique,
        params={"columns": ["user_id", "app_id", "date"], "nulls_distinct": True},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="UsageStat",
        tablename="usage_stats",
        constraint_name="usage_stats_credits_used_non_negative",
        constraint_class=Check,
        params={"condition": "credits_used >= 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Purchase",
        tablename="purchases",
        constraint_name="purchases_credits_positive",
        constraint_class=Check,
        params={"condition": "credits > 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Purchase",
        tablename="purchases",
        constraint_name="purchases_price_non_negative",
        constraint_class=Check,
        params={"condition": "price_euro_cents >= 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Purchase",
        tablename="purchases",
        constraint_name="purchases_status_check",
        constraint_class=Check,
        params={
            "condition": "status IN ('pending', 'completed', 'failed', 'cancelled')"
        },
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Balance",
        tablename="balances",
        constraint_name="balances_balance_non_negative",
        constraint_class=Check,
        params={"condition": "balance >= 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Balance",
        tablename="balances",
        constraint_name="balances_free_credits_non_negative",
        constraint_class=Check,
        params={"condition": "free_credits_remaining >= 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Balance",
        tablename="balances",
        constraint_name="balances_daily_free_non_negative",
        constraint_class=Check,
        params={"condition": "daily_free_credits >= 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Balance",
        tablename="balances",
        constraint_name="balances_totals_non_negative",
        constraint_class=Check,
        params={"condition": "total_earned >= 0 AND total_spent >= 0"},
        schema="credits",
    )

    return manager
