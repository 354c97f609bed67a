from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "after_suite: runs after every other test of the session"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move `after_suite` tests to the end, whatever else was collected."""
    last = [item for item in items if item.get_closest_marker("after_suite")]
    for item in last:
        items.remove(item)
    items.extend(last)
