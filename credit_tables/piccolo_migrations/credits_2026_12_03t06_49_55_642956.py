from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import JSONB
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.constraints import Unique
from piccolo.table import Table


class Guild(Table, tablename="guilds", schema="auth"):
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


class Transaction(Table, tablename="transactions", schema="credits"):
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


ID = "2026-12-03T06:49:55:642956"
VERSION = "1.38.0"
DESCRIPTION = "guild pools, member limits and the pool ledger"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="credits", description=DESCRIPTION
    )

    manager.add_table(
        class_name="GuildPool",
        tablename="guild_pools",
        schema="credits",
        columns=None,
    )

    manager.add_table(
        class_name="GuildMemberLimit",
        tablename="guild_member_limits",
        schema="credits",
        columns=None,
    )

    manager.add_table(
        class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
        schema="credits",
        columns=None,
    )

    manager.add_column(
        table_class_name="GuildPool",
        tablename="guild_pools",
        column_name="guild",
        db_column_name="guild_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Guild,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "guild_id",
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="GuildPool",
        tablename="guild_pools",
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
        table_class_name="GuildPool",
        tablename="guild_pools",
        column_name="total_funded",
        db_column_name="total_funded",
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
        table_class_name="GuildPool",
        tablename="guild_pools",
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
        table_class_name="GuildPool",
        tablename="guild_pools",
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
        table_class_name="GuildPool",
        tablename="guild_pools",
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
        table_class_name="GuildPool",
        tablename="guild_pools",
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
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
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
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
        column_name="guild",
        db_column_name="guild_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Guild,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "guild_id",
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
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
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
        column_name="daily_limit",
        db_column_name="daily_limit",
        column_class_name="Integer",
        column_class=Integer,
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
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
        column_name="monthly_limit",
        db_column_name="monthly_limit",
        column_class_name="Integer",
        column_class=Integer,
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
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
        column_name="usage_day",
        db_column_name="usage_day",
        column_class_name="Date",
        column_class=Date,
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
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
        column_name="used_today",
        db_column_name="used_today",
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
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
        column_name="used_this_month",
        db_column_name="used_this_month",
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
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
        column_name="guild",
        db_column_name="guild_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Guild,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "guild_id",
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
        column_name="user",
        db_column_name="user_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
                "GuildPoolTransactionType",
                {"funding": "funding", "usage": "usage", "refund": "refund"},
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
        column_name="personal_transaction",
        db_column_name="personal_transaction_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Transaction,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "personal_transaction_id",
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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
            "db_column_name": "refund_of",
            "secret": False,
        },
        schema="credits",
    )

    manager.add_column(
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
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

    manager.add_constraint(
        table_class_name="GuildPool",
        tablename="guild_pools",
        constraint_name="guild_pools_balance_non_negative",
        constraint_class=Check,
        params={"condition": "balance >= 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="GuildPool",
        tablename="guild_pools",
        constraint_name="guild_pools_totals_non_negative",
        constraint_class=Check,
        params={"condition": "total_funded >= 0 AND total_spent >= 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="GuildPool",
        tablename="guild_pools",
        constraint_name="guild_pools_balance_is_funded_minus_spent",
        constraint_class=Check,
        params={"condition": "balance = total_funded - total_spent"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
        constraint_name="guild_member_limits_guild_user_unique",
        constraint_class=Unique,
        params={"columns": ["guild_id", "user_id"], "nulls_distinct": True},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="GuildMemberLimit",
        tablename="guild_member_limits",
        constraint_name="guild_member_limits_non_negative",
        constraint_class=Check,
        params={
            "condition": "(daily_limit IS NULL OR daily_limit >= 0) AND (monthly_limit IS NULL OR monthly_limit >= 0) AND used_today >= 0 AND used_this_month >= used_today"
        },
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
        constraint_name="guild_pool_transactions_guild_version_unique",
        constraint_class=Unique,
        params={"columns": ["guild_id", "version"], "nulls_distinct": True},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
        constraint_name="guild_pool_transactions_guild_idempotency_key_unique",
        constraint_class=Unique,
        params={
            "columns": ["guild_id", "idempotency_key"],
            "nulls_distinct": True,
        },
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
        constraint_name="guild_pool_transactions_type_check",
        constraint_class=Check,
        params={"condition": "type IN ('funding', 'usage', 'refund')"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
        constraint_name="guild_pool_transactions_amount_sign",
        constraint_class=Check,
        params={
            "condition": "(type = 'usage' AND amount < 0) OR (type <> 'usage' AND amount > 0)"
        },
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="GuildPoolTransaction",
        tablename="guild_pool_transactions",
        constraint_name="guild_pool_transactions_chain",
        constraint_class=Check,
        params={
            "condition": "balance_before >= 0 AND balance_after = balance_before + amount AND balance_after >= 0 AND version > 0"
        },
        schema="credits",
    )

    return manager
