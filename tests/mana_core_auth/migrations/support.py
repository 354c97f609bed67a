"""A copy of the project to change migrations in, and running it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.database import PROJECT_ROOT


def project_copy(destination: Path) -> Path:
    """The project's files (tracked, and new ones not ignored) under
    `destination`."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        source = PROJECT_ROOT / name
        if not source.is_file():  # deleted in the worktree, not yet in git
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return destination


def run_in(
    project: Path, *args: str, database_url: str
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` in `project`, its code first on the path."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
