from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check

ID = "2026-11-24T14:06:15:461416"
VERSION = "1.38.0"
DESCRIPTION = (
    "Account lifecycle: outbox, TOTP replay guard, new security event types"
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="auth", description=DESCRIPTION
    )

    manager.add_table(
        class_name="OutboxMessage",
        tablename="outbox_messages",
        schema="auth",
        columns=None,
    )

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_messages",
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
        schema="auth",
    )

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_messages",
        column_name="recipient",
        db_column_name="recipient",
        column_class_name="Text",
        column_class=Text,
        params={
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
        schema="auth",
    )

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_messages",
        column_name="subject",
        db_column_name="subject",
        column_class_name="Text",
        column_class=Text,
        params={
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
        schema="auth",
    )

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_messages",
        column_name="text",
        db_column_name="text",
        column_class_name="Text",
        column_class=Text,
        params={
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
        schema="auth",
    )

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_messages",
        column_name="html",
        db_column_name="html",
        column_class_name="Text",
        column_class=Text,
        params={
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
        schema="auth",
    )

    manager.add_column(
        table_class_name="OutboxMessage",
        tablename="outbox_messages",
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
        schema="auth",
    )

    manager.add_column(
        table_class_name="TwoFactorAuth",
        tablename="two_factor_auth",
        column_name="last_used_step",
        db_column_name="last_used_step",
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
        schema="auth",
    )

    manager.alter_column(
        table_class_name="SecurityEvent",
        tablename="security_events",
        column_name="event_type",
        db_column_name="event_type",
        params={
            "choices": Enum(
                "SecurityEventType",
                {
                    "register": "register",
                    "login": "login",
                    "login_failed": "login_failed",
                    "logout": "logout",
                    "token_refresh": "token_refresh",
                    "refresh_token_reuse": "refresh_token_reuse",
                    "session_revoked": "session_revoked",
                    "password_change": "password_change",
                    "password_reset": "password_reset",
                    "email_verified": "email_verified",
                    "two_factor_enabled": "two_factor_enabled",
                    "two_factor_disabled": "two_factor_disabled",
                    "account_deleted": "account_deleted",
                    "suspicious_activity": "suspicious_activity",
                    "email_verification_sent": "email_verification_sent",
                    "password_reset_requested": "password_reset_requested",
                    "two_factor_setup": "two_factor_setup",
                    "two_factor_challenge": "two_factor_challenge",
                    "two_factor_failed": "two_factor_failed",
                    "account_exported": "account_exported",
                },
            )
        },
        old_params={
            "choices": Enum(
                "SecurityEventType",
                {
                    "register": "register",
                    "login": "login",
                    "login_failed": "login_failed",
                    "logout": "logout",
                    "token_refresh": "token_refresh",
                    "refresh_token_reuse": "refresh_token_reuse",
                    "session_revoked": "session_revoked",
                    "password_change": "password_change",
                    "password_reset": "password_reset",
                    "email_verified": "email_verified",
                    "two_factor_enabled": "two_factor_enabled",
                    "two_factor_disabled": "two_factor_disabled",
                    "account_deleted": "account_deleted",
                    "suspicious_activity": "suspicious_activity",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema="auth",
    )

    manager.drop_constraint(
        table_class_name="SecurityEvent",
        tablename="security_events",
        constraint_name="security_events_type_check",
        schema="auth",
    )

    manager.add_constraint(
        table_class_name="SecurityEvent",
        tablename="security_events",
        constraint_name="security_events_type_check_v2",
        constraint_class=Check,
        params={
            "condition": "event_type IN ('register', 'login', 'login_failed', 'logout', 'token_refresh', 'refresh_token_reuse', 'session_revoked', 'password_change', 'password_reset', 'email_verified', 'two_factor_enabled', 'two_factor_disabled', 'account_deleted', 'suspicious_activity', 'email_verification_sent', 'password_reset_requested', 'two_factor_setup', 'two_factor_challenge', 'two_factor_failed', 'account_exported')"
        },
        schema="auth",
    )

    return manager
