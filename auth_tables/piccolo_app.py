import os

from piccolo.conf.apps import AppConfig

from .tables import (
    Account,
    ApiKey,
    Guild,
    GuildInvitation,
    GuildMember,
    OutboxMessage,
    Password,
    RateLimitCounter,
    SecurityEvent,
    Session,
    TwoFactorAuth,
    User,
    VerificationToken,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))


APP_CONFIG = AppConfig(
    app_name="auth",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        User,
        Session,
        Password,
        Account,
        VerificationToken,
        TwoFactorAuth,
        SecurityEvent,
        RateLimitCounter,
        OutboxMessage,
        ApiKey,
        Guild,
        GuildMember,
        GuildInvitation,
    ],
    migration_dependencies=[],
    commands=[],
)
