"""What stands in front of Piccolo Admin: the client's address, the login
limits in PostgreSQL, the two-factor requirement and the login events.

piccolo_admin's own limiter counts per process and per TCP peer (the proxy,
behind one), and it sees neither usernames nor outcomes; its login endpoint
offers no hooks through `create_admin`. So the gate reads the login request
itself: every attempt counts against the username and the client IP (IPv6
per /64) before it is judged, and an attempt that proves the password (a
login, or the step that asks for the TOTP code) is forgiven, as the API's
login does. The counters are the API's (`auth.rate_limit_counters`), shared
by every worker and replica.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from piccolo.apps.user.tables import BaseUser
from piccolo_api.mfa.provider import MFAProvider
from piccolo_api.session_auth.tables import SessionsBase
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth_tables.tables import SecurityEventType
from mana_core_auth.auth.client_ip import ClientInfo, client_info, rate_limit_address
from mana_core_auth.auth.rate_limits import Limit, count_attempt, forgive
from mana_core_auth.errors import TooManyRequests
from mana_core_auth.request_body import read_body, replaying
from mana_core_auth.settings import Settings
from mana_core_auth.studio.audit import current_client, record_admin_event

LOGIN_PATH = "/public/login/"
CHANGE_PASSWORD_PATH = "/api/change-password/"  # noqa: S105
SESSION_COOKIE = "id"  # piccolo_api's session cookie
MFA_REQUIRED_MESSAGE = "MFA code required"  # what piccolo_api answers, and its UI reads
LOGIN_FAILED_MESSAGE = "Login failed: Incorrect username or password"


def admin_login_limits(
    username: str, ip: str | None, settings: Settings
) -> list[Limit]:
    # The username goes in as a digest: the counters must not list every
    # name (or password typed into the name field) anyone tried.
    digest = hashlib.sha256(username.encode()).hexdigest()[:32]
    window = settings.admin_login_window_seconds
    return [
        Limit(
            f"admin_login:username:{digest}",
            settings.admin_login_failures_per_username,
            window,
        ),
        Limit(
            f"admin_login:ip:{rate_limit_address(ip)}",
            settings.admin_login_failures_per_ip,
            window,
        ),
    ]


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    password: str


def _login_attempt(body: bytes, content_type: str) -> LoginAttempt | None:
    fields: dict[str, object]
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        else:
            parsed = json.loads(body or b"null")
            fields = parsed if isinstance(parsed, dict) else {}
    except (ValueError, UnicodeDecodeError):
        return None
    username, password = fields.get("username"), fields.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    if not username or not password:
        return None
    return LoginAttempt(username, password)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


@dataclass
class _Answer:
    status: int = 0
    body: bytes = b""


async def _admin_of_session(scope: Scope) -> str | None:
    token = Request(scope).cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user_id = await SessionsBase.get_user_id(token)
    if user_id is None:
        return None
    row = await BaseUser.select(BaseUser.username).where(BaseUser.id == user_id).first()
    return str(row["username"]) if row else None


class AdminGate:
    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        mfa_provider: MFAProvider | None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.mfa_provider = mfa_provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = client_info(Request(scope), self.settings.forwarded_allow_ips)
        token = current_client.set(client)
        try:
            path, method = _route_path(scope), scope["method"]
            if method == "POST" and path == LOGIN_PATH:
                await self._login(scope, receive, send, client)
            elif method == "POST" and path == CHANGE_PASSWORD_PATH:
                await self._change_password(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            current_client.reset(token)

    async def _login(
        self, scope: Scope, receive: Receive, send: Send, client: ClientInfo
    ) -> None:
        body = await read_body(receive)
        headers = dict(scope["headers"])
        attempt = _login_attempt(body, headers.get(b"content-type", b"").decode())
        if attempt is None:  # piccolo_api answers it (422), nothing to count
            await self.app(scope, replaying(body), send)
            return
        limits = admin_login_limits(attempt.username, client.ip_address, self.settings)
        try:
            await count_attempt(*limits)
        except TooManyRequests as error:
            await JSONResponse(
                {"detail": "Too many login attempts; try again later"},
                status_code=429,
                headers=error.headers,
            )(scope, replaying(body), send)
            return

        refusal = await self._refuse_without_two_factor(attempt, limits)
        if refusal is not None:
            await refusal(scope, replaying(body), send)
            return

        answer = _Answer()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
            elif message["type"] == "http.response.body":
                answer.body += message.get("body", b"")
            await send(message)

        await self.app(scope, replaying(body), capture)
        await self._judge(attempt, answer, limits)

    async def _refuse_without_two_factor(
        self, attempt: LoginAttempt, limits: list[Limit]
    ) -> Response | None:
        """Where admins must use TOTP, one who has not enrolled gets no
        session from the password alone (enrolment is a command on the
        server, so a stolen password cannot enrol the thief's phone)."""
        if not self.settings.admin_two_factor_required or self.mfa_provider is None:
            return None
        user = (
            await BaseUser.objects()
            .where(BaseUser.username == attempt.username)
            .first()
        )
        if user is not None and await self.mfa_provider.is_user_enrolled(user=user):
            return None
        if await BaseUser.login(username=attempt.username, password=attempt.password):
            await forgive(*limits)
            await record_admin_event(
                SecurityEventType.admin_login_failed,
                admin=attempt.username,
                reason="two-factor not enrolled",
            )
            return JSONResponse(
                {
                    "detail": "Admins must use two-factor authentication: enrol "
                    "with `piccolo mana admin_two_factor --username=...` on "
                    "the server, then log in with the code"
                },
                status_code=403,
            )
        await self._record_failure(attempt.username, "wrong password")
        return PlainTextResponse(LOGIN_FAILED_MESSAGE, status_code=401)

    async def _judge(
        self, attempt: LoginAttempt, answer: _Answer, limits: list[Limit]
    ) -> None:
        if answer.status in (200, 303):
            await forgive(*limits)
            await record_admin_event(
                SecurityEventType.admin_login, admin=attempt.username
            )
        elif answer.status == 401 and MFA_REQUIRED_MESSAGE.encode() in answer.body:
            await forgive(*limits)  # the password was right; the code comes next
        elif answer.status == 401:
            reason = (
                "wrong two-factor code" if b"MFA" in answer.body else "wrong password"
            )
            await self._record_failure(attempt.username, reason)

    async def _record_failure(self, username: str, reason: str) -> None:
        known = await BaseUser.exists().where(BaseUser.username == username)
        await record_admin_event(
            SecurityEventType.admin_login_failed,
            # A name that is no admin's may be a password typed in the wrong box.
            admin=username if known else None,
            reason=reason,
        )

    async def _change_password(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        admin = await _admin_of_session(scope)
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        if admin is not None and status == 303:
            await record_admin_event(
                SecurityEventType.admin_write, admin=admin, action="change_password"
            )
