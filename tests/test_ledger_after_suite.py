"""The whole test database's ledger, checked by the operator's command
after every other test has written to it."""

from __future__ import annotations

import pytest

from tests.database import piccolo


@pytest.mark.after_suite
def test_the_ledger_verifies_after_the_suite(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = piccolo("mana", "verify_ledger", database_url=database_url, check=False)
    with capsys.disabled():
        print("\n$ piccolo mana verify_ledger  # on the test database, after the suite")
        print(result.stdout + result.stderr, end="")
    assert result.returncode == 0
