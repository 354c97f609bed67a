"""The part of a client address that IP-keyed limits count against.

An IPv6 client usually holds a whole /64 (one is handed to each home or
server), so counting per address would give it 2^64 tries: IPv6 addresses
count per /64, IPv4 addresses (and IPv4 mapped into IPv6) per address.
"""

from __future__ import annotations

import ipaddress

IPV6_PREFIX_LENGTH = 64


def ip_limit_key(address: str | None) -> str:
    """`203.0.113.7` → `203.0.113.7`; `2001:db8:1:2:a:b:c:d` → `2001:db8:1:2::/64`;
    no or an unparsable address → `unknown`."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        network = ipaddress.IPv6Network((parsed, IPV6_PREFIX_LENGTH), strict=False)
        return str(network)
    return str(parsed)
