"""Container figures: the image's size and the time from `podman run` to
`/ready` answering 200, as production starts it (migrations first).

    .venv/bin/python bench/image_figures.py

Needs podman, runc and debootstrap (apt-get install podman runc debootstrap)
and root for the first base image. Builds the image from this checkout,
runs it against a throwaway database on DATABASE_URL's server (default the
machine's PostgreSQL at 127.0.0.1:5432) and prints the figures.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from tests.database import create_database, drop_database, with_database
    from tests.deploy.test_image import (
        IMAGE,
        build,
        ensure_base_image,
        podman,
        running_container,
        succeeded,
    )

    server = with_database(
        os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x"),
        "postgres",
    )
    image = build(ROOT, IMAGE, ensure_base_image())
    size = succeeded(podman("image", "inspect", "--format={{.Size}}", image))
    database = asyncio.run(create_database(server, prefix="mana_image"))
    try:
        with running_container(image, database) as container:
            print(
                f"image {image}: {int(size) / 1e6:.0f} MB; "
                f"container start to /ready: {container.seconds_to_ready:.1f} s"
            )
    finally:
        asyncio.run(drop_database(server, database))


if __name__ == "__main__":
    main()
