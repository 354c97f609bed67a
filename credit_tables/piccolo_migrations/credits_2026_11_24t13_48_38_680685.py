from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.constraints import Unique

ID = "2026-11-24T13:48:38:680685"
VERSION = "1.38.0"
DESCRIPTION = "ledger pools and per-user order"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="credits", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Transaction",
        tablename="transactions",
        column_name="balance_version",
        db_column_name="balance_version",
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
        table_class_name="Transaction",
        tablename="transactions",
        column_name="free_amount",
        db_column_name="free_amount",
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

    manager.add_constraint(
        table_class_name="Transaction",
        tablename="transactions",
        constraint_name="transactions_balance_version_positive",
        constraint_class=Check,
        params={"condition": "balance_version > 0"},
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Transaction",
        tablename="transactions",
        constraint_name="transactions_free_amount_within_amount",
        constraint_class=Check,
        params={
            "condition": "free_amount BETWEEN LEAST(amount, 0) AND GREATEST(amount, 0)"
        },
        schema="credits",
    )

    manager.add_constraint(
        table_class_name="Transaction",
        tablename="transactions",
        constraint_name="transactions_user_balance_version_unique",
        constraint_class=Unique,
        params={
            "columns": ["user_id", "balance_version"],
            "nulls_distinct": True,
        },
        schema="credits",
    )

    return manager
