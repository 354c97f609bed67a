from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-03T06:56:13:819157"
VERSION = "1.38.0"
DESCRIPTION = "Token hashes are secret columns: the admin never shows them"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="auth", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Session",
        tablename="sessions",
        column_name="refresh_token_hash",
        db_column_name="refresh_token_hash",
        params={"secret": True},
        old_params={"secret": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema="auth",
    )

    manager.alter_column(
        table_class_name="VerificationToken",
        tablename="verification_tokens",
        column_name="token_hash",
        db_column_name="token_hash",
        params={"secret": True},
        old_params={"secret": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema="auth",
    )

    return manager
