"""Loopback ports for the servers tests start, from fixed ranges (the
machine is shared: servers of these tests keep to 18300-18389, PgBouncer
to 18390-18399)."""

from __future__ import annotations

import socket

APP_PORTS = range(18300, 18390)
PGBOUNCER_PORTS = range(18390, 18400)


def loopback_port(ports: range, taken: frozenset[int] = frozenset()) -> int:
    """A port of `ports` nothing listens on now."""
    for port in ports:
        if port in taken:
            continue
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")
