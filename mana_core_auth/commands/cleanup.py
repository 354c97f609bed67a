from __future__ import annotations

from mana_core_auth.cleanup import PURGES, clean_up
from mana_core_auth.settings import get_settings


async def cleanup() -> None:
    """
    Delete expired rate-limit windows, used or expired email links, old
    outbox mail and long-ended sessions; print what went, per table. Waits
    while another replica is cleaning up. Never touches security events or
    the credit ledger.
    """
    deleted = await clean_up(get_settings(), wait=True)
    assert deleted is not None
    for purge in PURGES:
        print(f"{purge.table}: deleted {deleted[purge.table]} ({purge.what})")
    print(f"{sum(deleted.values())} rows deleted.")
