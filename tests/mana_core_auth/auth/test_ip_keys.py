"""IP-keyed limits count IPv4 clients per address and IPv6 clients per /64."""

from __future__ import annotations

import pytest

from mana_core_auth.auth.ip_keys import ip_limit_key


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.9", "198.51.100.9"),
        ("::1", "::/64"),
        (None, "unknown"),
        ("", "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_limit_keys(address: str | None, key: str) -> None:
    assert ip_limit_key(address) == key


def test_neighbouring_64s_are_different_clients() -> None:
    assert ip_limit_key("2001:db8:1:2::1") != ip_limit_key("2001:db8:1:3::1")
