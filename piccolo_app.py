"""The service's own Piccolo app: project commands, no tables."""

import os

from piccolo.conf.apps import AppConfig, Command

from mana_core_auth.commands.admin_two_factor import admin_two_factor
from mana_core_auth.commands.api_keys import (
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from mana_core_auth.commands.check_migrations import check_migrations
from mana_core_auth.commands.cleanup import cleanup
from mana_core_auth.commands.generate_keys import generate_keys
from mana_core_auth.commands.grant_credits import grant_credits
from mana_core_auth.commands.serve import serve
from mana_core_auth.commands.verify_ledger import verify_ledger

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))


APP_CONFIG = AppConfig(
    app_name="mana",
    migrations_folder_path=os.path.join(
        CURRENT_DIRECTORY, "mana_core_auth", "piccolo_migrations"
    ),
    table_classes=[],
    migration_dependencies=[
        "auth_tables.piccolo_app",
        "credit_tables.piccolo_app",
    ],
    commands=[
        Command(callable=serve, aliases=["run"]),
        Command(callable=generate_keys, aliases=["keys"]),
        Command(callable=check_migrations),
        Command(callable=grant_credits),
        Command(callable=verify_ledger),
        Command(callable=create_api_key),
        Command(callable=list_api_keys),
        Command(callable=revoke_api_key),
        Command(callable=cleanup),
        Command(callable=admin_two_factor),
    ],
)
