from __future__ import annotations

import sys

from mana_core_auth.credits import verification


async def verify_ledger() -> None:
    """
    Check the whole credit ledger: balances equal the sums of their ledger
    rows, each user's rows chain without gaps, nothing is negative, refunds
    and usage counts match; and the same for every guild pool, with its
    members' spending counters. Prints every finding; exits 1 if there is any.
    """
    report = await verification.verify_ledger()
    print(f"Checked {report.balances} balances and {report.ledger_rows} ledger rows.")
    print(
        f"Checked {report.pools} guild pools and {report.pool_ledger_rows} "
        "pool ledger rows."
    )
    for finding in report.findings:
        print(finding)
    if report.findings:
        print(f"{len(report.findings)} findings.")
        sys.exit(1)
    print(
        "No findings: every balance and every guild pool equals its ledger, "
        "every chain is unbroken, nothing is negative."
    )
