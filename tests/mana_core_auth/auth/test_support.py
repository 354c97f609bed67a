"""The helpers the auth tests lean on: a test that relies on an address of
its own must get one, or its rate-limit counters start with another test's
hits (seen once in CI as a 429 on a test's first wrong password)."""

from __future__ import annotations

import ipaddress

from tests.mana_core_auth.auth.support import unique_ip

BENCHMARKING_RANGE = ipaddress.ip_network("198.18.0.0/15")


def test_unique_ip_never_repeats_an_address_within_a_run() -> None:
    # Far more than a whole suite asks for (about 110), and enough that
    # random draws from the range would repeat almost surely.
    addresses = [unique_ip() for _ in range(20_000)]
    assert len(set(addresses)) == len(addresses)
    assert all(ipaddress.ip_address(a) in BENCHMARKING_RANGE for a in addresses)
