import os

from piccolo.conf.apps import AppConfig

from .tables import (
    Balance,
    GuildMemberLimit,
    GuildPool,
    GuildPoolTransaction,
    Package,
    Purchase,
    StripeEvent,
    Transaction,
    UsageStat,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))


APP_CONFIG = AppConfig(
    app_name="credits",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        Balance,
        Transaction,
        Package,
        Purchase,
        UsageStat,
        StripeEvent,
        GuildPool,
        GuildMemberLimit,
        GuildPoolTransaction,
    ],
    migration_dependencies=["auth_tables.piccolo_app"],
    commands=[],
)
