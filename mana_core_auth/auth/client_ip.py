"""Who is on the other end: the client's IP address and user agent.

`X-Forwarded-For` is believed only when the connection comes from a trusted
proxy (`FORWARDED_ALLOW_IPS`, as uvicorn reads it); otherwise anyone could
pick the address their failed logins are counted against. The header is read
from the right, skipping trusted proxies; the first address that is not one
is the client.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache, lru_cache

from starlette.requests import Request

USER_AGENT_MAX_LENGTH = 512

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ClientInfo:
    ip_address: str | None
    user_agent: str | None


@cache
def trusted_networks(forwarded_allow_ips: str) -> tuple[Network, ...] | None:
    """The trusted proxies; None means every peer is trusted ("*")."""
    entries = [entry.strip() for entry in forwarded_allow_ips.split(",")]
    if "*" in entries:
        return None
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # Unix socket paths and host names are not addresses
    return tuple(networks)


# The longest textual IPv6 address with an IPv4 tail is 45 characters.
_MAX_ADDRESS_TEXT = 64


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if len(address) > _MAX_ADDRESS_TEXT:
        return None
    return _parse_short(address)


# Nearly every request comes from one of a few peers (the proxies, the
# apps' servers); parsing the same text again was a tenth of a balance
# request's CPU. Keys are short (above), so the cache stays small.
@lru_cache(maxsize=4096)
def _parse_short(
    address: str,
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.scope_id:
        return None  # "fe80::1%<anything>" is no client address
    return parsed


# The address as text, as `str` writes it; cached for the same reason.
_text = lru_cache(maxsize=4096)(str)


@lru_cache(maxsize=4096)
def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    networks: tuple[Network, ...] | None,
) -> bool:
    return networks is None or any(address in network for network in networks)


def client_ip(request: Request, forwarded_allow_ips: str) -> str | None:
    peer = _parse(request.client.host) if request.client else None
    if peer is None:
        return None
    networks = trusted_networks(forwarded_allow_ips)
    if not _is_trusted(peer, networks):
        return _text(peer)
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # a malformed entry ends what can be believed
        client = address
        if not _is_trusted(address, networks):
            break
    return _text(client)


def client_info(request: Request, forwarded_allow_ips: str) -> ClientInfo:
    user_agent = request.headers.get("user-agent")
    return ClientInfo(
        ip_address=client_ip(request, forwarded_allow_ips),
        user_agent=user_agent[:USER_AGENT_MAX_LENGTH] if user_agent else None,
    )


IPV6_SUBSCRIBER_PREFIX = 64


def rate_limit_address(ip: str | None) -> str:
    """The part of a client address that limits count against: an IPv4
    address whole, an IPv6 address by its /64 (`2001:db8:1:2::~64`). A
    provider hands a subscriber a whole /64 (RFC 6177), so one client can
    pick any address in it."""
    if ip is None:
        return "unknown"
    address = _parse(ip)
    if address is None:
        return ip.strip()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network((address, IPV6_SUBSCRIBER_PREFIX), strict=False)
        # No "/" in it: a rate-limit key is the row's id in the admin's URLs.
        return f"{network.network_address}~{network.prefixlen}"
    return str(address)
