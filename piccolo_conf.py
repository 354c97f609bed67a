"""Piccolo's configuration: the engine (`DB`) and the app registry.

`APP_REGISTRY` is built when first asked for (the `piccolo` CLI, migrations):
building it imports every app's commands and Piccolo's migration machinery,
~0.2 s and ~6 MB that the server's workers, which only need `DB`, would pay
at start.
"""

from piccolo.engine.postgres import PostgresEngine

from mana_core_auth.database import engine_config, resolve_database_url
from mana_core_auth.settings import get_settings

_settings = get_settings()

DB = PostgresEngine(
    config=engine_config(_settings, resolve_database_url(_settings)),
)

APPS = [
    "piccolo_app",
    "auth_tables.piccolo_app",
    "credit_tables.piccolo_app",
    "piccolo_admin.piccolo_app",
    # TOTP secrets of admin users (piccolo_api's authenticator provider).
    "piccolo_api.mfa.authenticator.piccolo_app",
]


def __getattr__(name: str) -> object:
    if name != "APP_REGISTRY":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from piccolo.conf.apps import AppRegistry

    registry = AppRegistry(apps=APPS)
    globals()["APP_REGISTRY"] = registry
    return registry
