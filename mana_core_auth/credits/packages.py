"""The credit packages on sale."""

from __future__ import annotations

from typing import Any

from credit_tables.tables import Package


async def list_packages_on_sale() -> list[dict[str, Any]]:
    """Active packages by sort order."""
    return await (
        Package.select(
            Package.id,
            Package.name,
            Package.description,
            Package.credits,
            Package.price_euro_cents,
            Package.sort_order,
        )
        .where(Package.active.eq(True))
        .order_by(Package.sort_order, Package.price_euro_cents)
    )
