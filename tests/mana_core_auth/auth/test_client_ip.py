"""Which address a request is counted against."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from mana_core_auth.auth.client_ip import client_info, client_ip, rate_limit_address


def _request(peer: str | None, *forwarded: str, user_agent: str = "") -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    if user_agent:
        headers.append((b"user-agent", user_agent.encode()))
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": headers,
            "client": (peer, 1234) if peer else None,
        }
    )


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", (), "127.0.0.1", "203.0.113.9"),
        ("203.0.113.9", ("198.51.100.1",), "127.0.0.1", "203.0.113.9"),
        ("127.0.0.1", ("198.51.100.1",), "127.0.0.1", "198.51.100.1"),
        # The client may prepend anything; only the proxies' own entries count.
        ("127.0.0.1", ("6.6.6.6, 198.51.100.1",), "127.0.0.1", "198.51.100.1"),
        (
            "10.0.0.2",
            ("6.6.6.6, 198.51.100.1, 10.0.0.3",),
            "10.0.0.0/8",
            "198.51.100.1",
        ),
        ("10.0.0.2", ("6.6.6.6", "198.51.100.1"), "10.0.0.0/8", "198.51.100.1"),
        ("10.0.0.2", ("garbage",), "10.0.0.0/8", "10.0.0.2"),
        ("10.0.0.2", ("fe80::1%" + "x" * 60,), "10.0.0.0/8", "10.0.0.2"),
        ("10.0.0.2", ("198.51.100.1",), "*", "198.51.100.1"),
        ("::1", ("2001:db8::7",), "::1", "2001:db8::7"),
        (None, ("198.51.100.1",), "*", None),
        # Padding no proxy writes, long enough to be no address, ends what
        # can be believed as garbage does.
        ("10.0.0.2", (" " * 70 + "198.51.100.1",), "10.0.0.0/8", "10.0.0.2"),
        ("10.0.0.2", ("  198.51.100.1 ",), "10.0.0.0/8", "198.51.100.1"),
    ],
)
def test_client_ip(peer, forwarded, trusted, expected) -> None:
    assert client_ip(_request(peer, *forwarded), trusted) == expected


def test_user_agent_is_kept_short() -> None:
    info = client_info(_request("127.0.0.1", user_agent="x" * 5000), "127.0.0.1")
    assert info.user_agent == "x" * 512


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::~64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::~64"),
        ("2001:0db8:0001:0002::1", "2001:db8:1:2::~64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("::1", "::~64"),
        (None, "unknown"),
    ],
)
def test_rate_limits_key_ipv6_clients_by_their_64(address, key) -> None:
    assert rate_limit_address(address) == key


def test_neighbouring_64s_are_different_clients() -> None:
    assert rate_limit_address("2001:db8:1:2::1") != rate_limit_address(
        "2001:db8:1:3::1"
    )


def test_many_distinct_addresses_give_the_same_answers_as_the_first_time() -> None:
    """The parsed addresses are remembered, boundedly; past the bound the
    answers stay the same."""
    addresses = [f"198.51.{i // 256}.{i % 256}" for i in range(6000)]
    first = [client_ip(_request("127.0.0.1", a), "127.0.0.1") for a in addresses]
    again = [client_ip(_request("127.0.0.1", a), "127.0.0.1") for a in addresses]
    assert first == again == addresses
