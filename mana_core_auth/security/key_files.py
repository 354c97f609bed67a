"""Keys that development and tests keep under `data_dir`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The contents of `path`, writing `make()` there first (mode 0600) if it
    is missing. Several workers may start together: the first to create the
    file wins, and every one reads what it wrote."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = make()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as file:
                file.write(content)
    return path.read_bytes()
