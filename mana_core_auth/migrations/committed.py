"""The migrations committed with the code: (app name, migration id) of every
migration file of every Piccolo app in `APP_REGISTRY`.

Read from the files themselves (each has `ID = "..."`), without importing
Piccolo's app registry: that import costs about half a second, which every
container start and every `/ready` would pay. A test checks that
`MIGRATION_FOLDERS` names the same apps and folders as the registry.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

# App name -> (top-level package, its migrations folder inside it).
MIGRATION_FOLDERS: dict[str, tuple[str, str]] = {
    "auth": ("auth_tables", "piccolo_migrations"),
    "credits": ("credit_tables", "piccolo_migrations"),
    "mana": ("mana_core_auth", "piccolo_migrations"),
    "user": ("piccolo", "apps/user/piccolo_migrations"),
    "session_auth": ("piccolo_api", "session_auth/piccolo_migrations"),
    "piccolo_admin": ("piccolo_admin", "piccolo_migrations"),
    "mfa_authenticator": ("piccolo_api", "mfa/authenticator/piccolo_migrations"),
}

_ID = re.compile(r'^ID = "([^"]+)"', re.MULTILINE)


def migrations_folder(app_name: str) -> Path:
    package, inside = MIGRATION_FOLDERS[app_name]
    spec = importlib.util.find_spec(package)  # finds, does not import
    assert spec is not None and spec.submodule_search_locations, package
    return Path(next(iter(spec.submodule_search_locations))) / inside


def migration_ids(folder: Path) -> list[str]:
    """The ids of the migration files in `folder`, as Piccolo reads them."""
    ids = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        found = _ID.search(path.read_text(encoding="utf-8"))
        if found:
            ids.append(found.group(1))
    return ids


@lru_cache(maxsize=1)
def committed_migrations() -> frozenset[tuple[str, str]]:
    return frozenset(
        (app_name, migration_id)
        for app_name in MIGRATION_FOLDERS
        for migration_id in migration_ids(migrations_folder(app_name))
    )
