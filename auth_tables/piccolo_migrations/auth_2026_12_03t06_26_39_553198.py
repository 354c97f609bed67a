from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar
from piccolo.constraints import Check

ID = "2026-12-03T06:26:39:553198"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="auth", description=DESCRIPTION
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
                    "two_factor_reset": "two_factor_reset",
                    "backup_codes_regenerated": "backup_codes_regenerated",
                    "admin_login": "admin_login",
                    "admin_login_failed": "admin_login_failed",
                    "admin_write": "admin_write",
                    "credit_shortfall": "credit_shortfall",
                    "api_key_created": "api_key_created",
                    "api_key_revoked": "api_key_revoked",
                    "api_key_rejected": "api_key_rejected",
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
                    "email_verification_sent": "email_verification_sent",
                    "password_reset_requested": "password_reset_requested",
                    "two_factor_setup": "two_factor_setup",
                    "two_factor_challenge": "two_factor_challenge",
                    "two_factor_failed": "two_factor_failed",
                    "account_exported": "account_exported",
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
        constraint_name="security_events_type_check_v2",
        schema="auth",
    )

    manager.add_constraint(
        table_class_name="SecurityEvent",
        tablename="security_events",
        constraint_name="security_events_type_check_v3",
        constraint_class=Check,
        params={
            "condition": "event_type IN ('register', 'login', 'login_failed', 'logout', 'token_refresh', 'refresh_token_reuse', 'session_revoked', 'password_change', 'password_reset', 'email_verified', 'two_factor_enabled', 'two_factor_disabled', 'account_deleted', 'suspicious_activity', 'email_verification_sent', 'password_reset_requested', 'two_factor_setup', 'two_factor_challenge', 'two_factor_failed', 'account_exported', 'two_factor_reset', 'backup_codes_regenerated', 'admin_login', 'admin_login_failed', 'admin_write', 'credit_shortfall', 'api_key_created', 'api_key_revoked', 'api_key_rejected')"
        },
        schema="auth",
    )

    return manager
