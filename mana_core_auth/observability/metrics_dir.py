"""A fresh directory for the workers' metric files, made by the process
that starts them (prometheus_client's multiprocess mode).

It must be in the environment before a worker imports prometheus_client
(a process that imported it before counts on its own, which is right for
a single in-process worker), and new at every start: files left by an
earlier run would be added to this run's totals. The container's
entrypoint does the same in shell.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

ENV_NAME = "PROMETHEUS_MULTIPROC_DIR"


def use_fresh_metrics_dir() -> str:
    """Make the directory, name it in the environment for the workers, and
    remove it when this process exits."""
    directory = tempfile.mkdtemp(prefix="mana-metrics-")
    os.environ[ENV_NAME] = directory
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory
