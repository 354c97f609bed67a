"""A fake of the part of Stripe's API that checkout uses, as a real HTTP
server on 127.0.0.1 (its own thread), recording every request it gets.

`POST /v1/checkout/sessions` answers with a session like Stripe's, the
same one again for a repeated `Idempotency-Key`. A test can make it refuse
(`fail_with`) or hold its answer until released (`hold`), to deliver a
webhook while the checkout call is still waiting for Stripe.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

PORTS = range(18500, 18600)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]
    answer: dict[str, Any] | None = None


@dataclass
class FakeStripe:
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    # (status, Stripe error body) to answer with instead of a session.
    fail_with: tuple[int, dict[str, Any]] | None = None
    # While set: a session is made and recorded, its answer waits for release.
    hold: threading.Event | None = None
    held: threading.Event = field(default_factory=threading.Event)
    _sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def sessions_created(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == "/v1/checkout/sessions"]

    def for_purchase(self, purchase_id: str) -> Recorded:
        matches = [
            r
            for r in self.sessions_created()
            if r.form.get("metadata[purchaseId]") == purchase_id
        ]
        assert len(matches) >= 1, f"no session created for {purchase_id}"
        return matches[-1]

    def answer(self, recorded: Recorded) -> tuple[int, dict[str, Any]]:
        if self.fail_with is not None:
            return self.fail_with
        key = recorded.headers.get("idempotency-key") or secrets.token_hex(8)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session_id = f"cs_test_{secrets.token_hex(12)}"
                session = {
                    "id": session_id,
                    "object": "checkout.session",
                    "mode": recorded.form.get("mode"),
                    "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                    "client_reference_id": recorded.form.get("client_reference_id"),
                    "metadata": {
                        name[len("metadata[") : -1]: value
                        for name, value in recorded.form.items()
                        if name.startswith("metadata[")
                    },
                    "payment_status": "unpaid",
                    "status": "open",
                }
                self._sessions[key] = session
            recorded.answer = session
        return 200, session


def _handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            recorded = Recorded(
                method="POST",
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                form=dict(parse_qsl(body, keep_blank_values=True)),
            )
            with fake._lock:
                fake.requests.append(recorded)
            if self.path != "/v1/checkout/sessions":
                status, answer = 404, {"error": {"type": "invalid_request_error"}}
            else:
                status, answer = fake.answer(recorded)
            if fake.hold is not None:
                fake.held.set()
                fake.hold.wait(timeout=30)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def free_port_in_range() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def start_fake_stripe() -> tuple[FakeStripe, ThreadingHTTPServer]:
    """A running fake; stop it with `server.shutdown()`."""
    fake = FakeStripe()
    for _ in range(5):
        fake.port = free_port_in_range()
        try:
            server = ThreadingHTTPServer((fake.host, fake.port), _handler(fake))
            break
        except OSError:
            continue
    else:
        raise RuntimeError("could not bind the fake Stripe server")
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server
