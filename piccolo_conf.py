from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from mana_core_auth.database import engine_config, resolve_database_url
from mana_core_auth.settings import get_settings

_settings = get_settings()

DB = PostgresEngine(
    config=engine_config(_settings, resolve_database_url(_settings)),
)

APP_REGISTRY = AppRegistry(
    apps=[
        "piccolo_app",
        "auth_tables.piccolo_app",
        "credit_tables.piccolo_app",
        "piccolo_admin.piccolo_app",
        # TOTP secrets of admin users (piccolo_api's authenticator provider).
        "piccolo_api.mfa.authenticator.piccolo_app",
    ]
)
