"""The Piccolo engine of this process: `DB` of `piccolo_conf` (or of the
module `PICCOLO_CONF` names), found as `engine_finder()` finds it, but
without importing `piccolo.conf.apps`.

`engine_finder()` imports that module, and with it black and Piccolo's
migration machinery, which only the `piccolo` CLI uses: ~0.15 s and ~10 MB
of each worker, at its first query. A table calls `engine_finder()` for its
first query too, unless it has an engine: the first lookup here gives this
one to every table defined by then (tables defined later, such as the
admin's, still find it through `engine_finder()`).
"""

from __future__ import annotations

import importlib
import os
from functools import cache

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import TABLE_REGISTRY

# What piccolo.conf.apps names DEFAULT_MODULE_NAME and ENVIRONMENT_VARIABLE.
DEFAULT_CONF_MODULE = "piccolo_conf"
CONF_MODULE_VARIABLE = "PICCOLO_CONF"


@cache
def configured_engine() -> PostgresEngine:
    conf = importlib.import_module(
        os.environ.get(CONF_MODULE_VARIABLE) or DEFAULT_CONF_MODULE
    )
    db = conf.DB
    assert isinstance(db, PostgresEngine)
    for table in TABLE_REGISTRY:
        if table._meta._db is None:
            table._meta.db = db
    return db
