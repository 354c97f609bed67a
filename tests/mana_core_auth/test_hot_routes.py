"""Validate, balance and spending answered beside FastAPI (`hot_routes.py`):
for every kind of request the answer is the one the FastAPI route gives,
byte for byte; the common shape never reaches FastAPI, every other one
does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from mana_core_auth.errors import EXCEPTION_HANDLERS
from mana_core_auth.hot_routes import HotRoutes
from tests.mana_core_auth.api_keys.support import (
    personal_key,
    rejection_reasons,
    service_key,
)
from tests.mana_core_auth.auth.support import (
    PASSWORD,
    Caller,
    bearer,
    new_caller,
    unique_email,
)
from tests.mana_core_auth.credits.support import main_api

VALIDATE = "/api/v1/auth/validate"
BALANCE = "/api/v1/credits/balance"
# Differ between any two answers, by design.
PER_ANSWER = ("timestamp", "requestId")


@pytest.fixture(scope="module")
async def fastapi_only() -> AsyncIterator[httpx.AsyncClient]:
    """The same FastAPI app, mounted without the hot routes in front."""
    plain = Starlette(
        routes=[Mount("/api/v1", main_api())], exception_handlers=EXCEPTION_HANDLERS
    )
    transport = httpx.ASGITransport(app=plain, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as http:
        yield http


@pytest.fixture
async def caller(client: httpx.AsyncClient) -> Caller:
    return await new_caller(client)


@pytest.fixture
def handed_on(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths the hot routes handed on to FastAPI."""
    paths: list[str] = []
    real = HotRoutes._to_api

    async def counting(self: HotRoutes, scope: Any, receive: Any, send: Any) -> None:
        paths.append(scope["path"])
        await real(self, scope, receive, send)

    monkeypatch.setattr(HotRoutes, "_to_api", counting)
    return paths


def comparable(response: httpx.Response) -> tuple[int, str | None, Any]:
    content_type = response.headers.get("content-type")
    if response.status_code >= 400 and response.content:
        body = {k: v for k, v in response.json().items() if k not in PER_ANSWER}
        return response.status_code, content_type, body
    return response.status_code, content_type, response.content


async def both(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    method: str,
    path: str,
    **request: Any,
) -> tuple[tuple[int, str | None, Any], tuple[int, str | None, Any]]:
    hot = await client.request(method, path, **request)
    plain = await fastapi_only.request(method, path, **request)
    return comparable(hot), comparable(plain)


async def ended_session(client: httpx.AsyncClient) -> Caller:
    caller = await new_caller(client)
    await client.post("/api/v1/auth/logout", headers=caller.headers)
    return caller


async def test_validate_answers_the_common_shape_itself_as_fastapi_would(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
) -> None:
    ended = await ended_session(client)
    for token in (
        caller.access_token,
        ended.access_token,
        caller.access_token[:-4] + "AAAA",
        "not-a-token",
        caller.refresh_token,
    ):
        hot, plain = await both(
            client, fastapi_only, "POST", VALIDATE, json={"token": token}
        )
        assert hot == plain
    # The request carried a user's token in the header too: ignored, as ever.
    hot, plain = await both(
        client,
        fastapi_only,
        "POST",
        VALIDATE,
        json={"token": caller.access_token},
        headers=bearer(ended.access_token),
    )
    assert hot == plain
    assert handed_on == []


@pytest.mark.parametrize(
    "request_",
    [
        {"content": b"{"},
        {"content": b"[]"},
        {"content": b'"token"'},
        {"json": {}},
        {"json": {"token": ""}},
        {"json": {"token": 42}},
        {"json": {"token": None}},
        {"json": {"token": "x" * 8193}},
        {"json": {"token": "a\u0000b"}},
        {"json": {"token": "x", "extra": 1}},
        {"content": b'{"token": "x"}', "headers": {"content-type": "text/plain"}},
        {"content": b'{"token": "x"}', "headers": {"content-type": ""}},
        {"json": {"token": "x"}, "headers": bearer("mk_svc_notakey")},
    ],
)
async def test_validate_hands_every_other_shape_to_fastapi(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    handed_on: list[str],
    request_: dict[str, Any],
) -> None:
    hot, plain = await both(client, fastapi_only, "POST", VALIDATE, **request_)
    assert hot == plain
    assert handed_on == [VALIDATE]


async def test_validate_with_a_service_key_goes_through_its_scope_check(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
) -> None:
    allowed = await service_key("auth:validate")
    refused = await service_key("credits:spend")
    for key in (allowed, refused):
        hot, plain = await both(
            client,
            fastapi_only,
            "POST",
            VALIDATE,
            json={"token": caller.access_token},
            headers=key.headers,
        )
        assert hot == plain
    assert hot[0] == 403
    assert len(handed_on) == 2


async def test_balance_answers_a_live_session_itself_as_fastapi_would(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
) -> None:
    hot, plain = await both(
        client, fastapi_only, "GET", BALANCE, headers=caller.headers
    )
    assert hot == plain
    assert hot[0] == 200
    assert handed_on == []


async def test_balance_hands_every_other_caller_to_fastapi(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
) -> None:
    ended = await ended_session(client)
    reader = await personal_key(client, caller.headers, "credits:read")
    cases: list[tuple[str, dict[str, Any]]] = [
        ("GET", {}),
        ("GET", {"headers": bearer(ended.access_token)}),
        ("GET", {"headers": bearer("not-a-token")}),
        ("GET", {"headers": {"Authorization": "Basic dXNlcjpwYXNz"}}),
        ("GET", {"headers": reader.headers}),
        ("GET", {"headers": caller.headers, "params": {"unused": "1"}}),
        ("HEAD", {"headers": caller.headers}),
        ("POST", {"headers": caller.headers}),
    ]
    for method, request in cases:
        hot, plain = await both(client, fastapi_only, method, BALANCE, **request)
        assert hot == plain, (method, request)
    assert len(handed_on) == len(cases) - 1  # POST matches no hot route


USE = "/api/v1/credits/use"
SPEND_PREFIX = b'{"amount": 3, "appId": "chat", "description": "x", '


# Floats, non-ASCII text and nesting, written as the FastAPI route writes
# them: with pydantic's own JSON, where `json.dumps` would write `1e-07`.
METADATA = {"ratio": 1e16, "tiny": 1e-7, "name": "Grüße ✓", "deep": [{"x": None}]}


def spend_body(**fields: Any) -> dict[str, Any]:
    return {"amount": 3, "appId": "chat", "description": "a hot spend", **fields}


def with_placeholders(content: bytes, names: dict[str, str]) -> bytes:
    """`content` with each key of `names` put as `<its name>`: what differs
    between two answers of the same kind, by design."""
    for value, name in names.items():
        content = content.replace(value.encode(), f"<{name}>".encode())
    return content


def same_but_ids(
    hot: httpx.Response, plain: httpx.Response, *owners: Caller
) -> tuple[bytes, bytes]:
    """Both answers' bytes, with what differs between two users' spends
    (user, transaction id, times) put in placeholders."""

    def masked(response: httpx.Response) -> bytes:
        transaction = response.json().get("transaction") or {}
        return with_placeholders(
            response.content,
            {owner.id: "user" for owner in owners}
            | {
                transaction[field]: field
                for field in ("id", "createdAt", "completedAt")
                if transaction.get(field)
            },
        )

    return masked(hot), masked(plain)


async def test_spending_answers_a_live_session_itself_as_fastapi_would(
    client: httpx.AsyncClient, fastapi_only: httpx.AsyncClient, handed_on: list[str]
) -> None:
    one, other = await new_caller(client), await new_caller(client)
    bodies = [
        spend_body(),
        spend_body(idempotencyKey="k-1", metadata=METADATA),
        spend_body(idempotencyKey="k-1", metadata=METADATA),  # replayed
        spend_body(userId=one.id, amount=1),
    ]
    for body in bodies:
        if "userId" in body:
            hot_body, plain_body = body, {**body, "userId": other.id}
        else:
            hot_body = plain_body = body
        hot = await client.post(USE, json=hot_body, headers=one.headers)
        plain = await fastapi_only.post(USE, json=plain_body, headers=other.headers)
        assert hot.status_code == plain.status_code == 201
        assert hot.headers["content-type"] == plain.headers["content-type"]
        masked_hot, masked_plain = same_but_ids(hot, plain, one, other)
        assert masked_hot == masked_plain
    assert handed_on == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (spend_body(amount=10_000), "INSUFFICIENT_CREDITS"),
        (
            spend_body(userId="00000000-0000-4000-8000-000000000000"),
            "OTHER_USER_FORBIDDEN",
        ),
    ],
)
async def test_spending_refusals_taken_here_answer_as_fastapi_would(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
    body: dict[str, Any],
    code: str,
) -> None:
    hot, plain = await both(
        client, fastapi_only, "POST", USE, json=body, headers=caller.headers
    )
    assert hot == plain
    assert hot[2]["code"] == code
    assert handed_on == []


async def test_a_reused_idempotency_key_answers_as_fastapi_would(
    client: httpx.AsyncClient, fastapi_only: httpx.AsyncClient, handed_on: list[str]
) -> None:
    one, other = await new_caller(client), await new_caller(client)
    for who, http in ((one, client), (other, fastapi_only)):
        first = await http.post(
            USE, json=spend_body(idempotencyKey="r"), headers=who.headers
        )
        assert first.status_code == 201
    hot = await client.post(
        USE, json=spend_body(idempotencyKey="r", amount=4), headers=one.headers
    )
    plain = await fastapi_only.post(
        USE, json=spend_body(idempotencyKey="r", amount=4), headers=other.headers
    )
    assert comparable(hot) == comparable(plain)
    assert hot.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert handed_on == []


@pytest.mark.parametrize(
    "request_",
    [
        {"content": b"{"},
        {"content": b"\xff\xfe"},
        {"content": b"[" * 100_000},
        {"content": b"[]"},
        {"json": {}},
        {"json": spend_body(amount="3")},
        {"json": spend_body(amount=3.0)},
        {"json": spend_body(amount=True)},
        {"json": spend_body(amount=0)},
        {"json": spend_body(extra=1)},
        {"json": spend_body(description="a\u0000b")},
        # Python's json reads NaN; the model refuses it, as PostgreSQL would.
        {"content": SPEND_PREFIX + b'"metadata": NaN}'},
        {"content": SPEND_PREFIX + b'"metadata": {"n": NaN}}'},
        {"json": spend_body(userId="not-a-uuid")},
        {"json": spend_body(), "headers": {"content-type": "text/plain"}},
    ],
)
async def test_spending_hands_every_other_body_to_fastapi(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
    request_: dict[str, Any],
) -> None:
    before = (await client.get(BALANCE, headers=caller.headers)).content
    request_ = {
        **request_,
        "headers": {**caller.headers, **request_.get("headers", {})},
    }
    hot, plain = await both(client, fastapi_only, "POST", USE, **request_)
    assert hot == plain
    assert hot[0] >= 400
    assert handed_on == [USE]
    assert (await client.get(BALANCE, headers=caller.headers)).content == before


async def test_spending_hands_every_other_session_to_fastapi(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
) -> None:
    ended = await ended_session(client)
    cases: list[dict[str, str]] = [
        {},
        bearer(ended.access_token),
        bearer("not-a-token"),
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ]
    for headers in cases:
        hot, plain = await both(
            client, fastapi_only, "POST", USE, json=spend_body(), headers=headers
        )
        assert hot == plain, headers
        assert hot[0] == 401
    assert len(handed_on) == len(cases)

    # A query string, which the route ignores, goes to the FastAPI route.
    answer = await client.post(
        USE, json=spend_body(), headers=caller.headers, params={"unused": "1"}
    )
    assert answer.status_code == 201, answer.text
    assert len(handed_on) == len(cases) + 1


async def test_spending_with_an_api_key_answers_as_fastapi_would_counting_once(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    caller: Caller,
    handed_on: list[str],
) -> None:
    """A key is checked here with the route's own checks, and each refused
    use is recorded once, as through the FastAPI route."""
    reader = await personal_key(client, caller.headers, "credits:read")
    refused = await service_key("auth:validate")
    for key in (reader, refused):
        hot, plain = await both(
            client,
            fastapi_only,
            "POST",
            USE,
            json=spend_body(userId=caller.id),
            headers=key.headers,
        )
        assert hot == plain
        assert (hot[0], hot[2]["code"]) == (403, "INSUFFICIENT_SCOPE")
        assert await rejection_reasons(key.id) == ["insufficient_scope"] * 2
    unknown = bearer("mk_svc_" + "A" * 40)
    hot, plain = await both(
        client, fastapi_only, "POST", USE, json=spend_body(), headers=unknown
    )
    assert hot == plain
    assert hot[0] == 401
    spender = await service_key("credits:spend")
    hot, plain = await both(
        client, fastapi_only, "POST", USE, json=spend_body(), headers=spender.headers
    )
    assert hot == plain
    assert hot[2]["code"] == "USER_ID_REQUIRED"
    assert handed_on == []

    # Keys that may spend spend here: a user's own, and an app's for a user.
    own = await personal_key(client, caller.headers, "credits:spend")
    for key, body in (
        (own, spend_body()),
        (spender, spend_body(userId=caller.id, idempotencyKey="app-1")),
    ):
        answer = await client.post(USE, json=body, headers=key.headers)
        assert answer.status_code == 201, answer.text
        assert answer.json()["transaction"]["userId"] == caller.id
    assert answer.json()["transaction"]["idempotencyKey"] == "app-1"
    assert handed_on == []


LOGIN = "/api/v1/auth/login"


def same_but_account(
    hot: httpx.Response, plain: httpx.Response, *owners: Caller
) -> tuple[bytes, bytes]:
    """Both login answers' bytes, with what differs between two accounts'
    logins (user id, email, the tokens handed out) put in placeholders."""

    def masked(response: httpx.Response) -> bytes:
        answer = response.json()
        return with_placeholders(
            response.content,
            {owner.id: "user" for owner in owners}
            | {owner.email: "email" for owner in owners}
            | {
                answer[field]: field
                for field in (
                    "accessToken",
                    "refreshToken",
                    "deviceToken",
                    "challengeToken",
                )
                if answer.get(field)
            },
        )

    return masked(hot), masked(plain)


async def test_login_answers_the_common_shape_itself_as_fastapi_would(
    client: httpx.AsyncClient, fastapi_only: httpx.AsyncClient, handed_on: list[str]
) -> None:
    one, other = await new_caller(client), await new_caller(client)
    handed_on.clear()
    for extra in (
        {},
        {"deviceId": "phone-1", "deviceName": "Grüße ✓ phone"},
        {"deviceToken": None},
    ):
        hot = await client.post(
            LOGIN, json={"email": one.email, "password": one.password, **extra}
        )
        plain = await fastapi_only.post(
            LOGIN, json={"email": other.email, "password": other.password, **extra}
        )
        assert hot.status_code == plain.status_code == 200
        assert hot.headers["content-type"] == plain.headers["content-type"]
        hot_bytes, plain_bytes = same_but_account(hot, plain, one, other)
        assert hot_bytes == plain_bytes
        # What was handed out works: the session is live.
        token = hot.json()["accessToken"]
        me = await client.get("/api/v1/auth/me", headers=bearer(token))
        assert me.status_code == 200 and me.json()["id"] == one.id
    # The email as typed, trimmed and lower-cased by the route's model.
    hot = await client.post(
        LOGIN, json={"email": f"  {one.email.upper()} ", "password": one.password}
    )
    assert hot.status_code == 200 and hot.json()["user"]["id"] == one.id
    assert handed_on == []


async def test_login_refusals_taken_here_answer_as_fastapi_would(
    client: httpx.AsyncClient, fastapi_only: httpx.AsyncClient, handed_on: list[str]
) -> None:
    one, other = await new_caller(client), await new_caller(client)
    handed_on.clear()
    for hot_body, plain_body in (
        (
            {"email": one.email, "password": "wrong password 1"},
            {"email": other.email, "password": "wrong password 1"},
        ),
        (
            {"email": unique_email(), "password": PASSWORD},
            {"email": unique_email(), "password": PASSWORD},
        ),
        (
            {"email": one.email, "password": PASSWORD, "deviceToken": "forged"},
            {"email": other.email, "password": PASSWORD, "deviceToken": "forged"},
        ),
    ):
        hot = await client.post(LOGIN, json=hot_body)
        plain = await fastapi_only.post(LOGIN, json=plain_body)
        if hot.status_code == 200:
            hot_bytes, plain_bytes = same_but_account(hot, plain, one, other)
            assert hot_bytes == plain_bytes
        else:
            assert comparable(hot) == comparable(plain)
            assert hot.status_code == 401
    assert handed_on == []


async def test_a_two_factor_challenge_answers_as_fastapi_would(
    client: httpx.AsyncClient, fastapi_only: httpx.AsyncClient, handed_on: list[str]
) -> None:
    from tests.mana_core_auth.auth.two_factor.test_two_factor import enrol

    one, other = await new_caller(client), await new_caller(client)
    await enrol(client, one)
    await enrol(client, other)
    handed_on.clear()
    hot = await client.post(LOGIN, json={"email": one.email, "password": PASSWORD})
    plain = await fastapi_only.post(
        LOGIN, json={"email": other.email, "password": PASSWORD}
    )
    assert hot.status_code == plain.status_code == 200
    assert "challengeToken" in hot.json() and "accessToken" not in hot.json()
    hot_bytes, plain_bytes = same_but_account(hot, plain, one, other)
    assert hot_bytes == plain_bytes
    assert handed_on == []


@pytest.mark.parametrize(
    "request_",
    [
        {"content": b"{"},
        {"content": b"[]"},
        {"content": b'{"email": "a@example.com"}'},
        {"content": b'{"email": "a@example.com", "password": "p", "admin": true}'},
        {"content": b'{"email": "   ", "password": "p"}'},
        {"content": b'{"email": "a@example.com", "password": 5}'},
        {"content": b'{"email": "a\\u0000@example.com", "password": "p"}'},
        {"content": b'{"email": "a@example.com", "password": "' + b"x" * 5000 + b'"}'},
        {"content": b"\xff\xfe"},
        {"content": b"[" * 100_000 + b"]" * 100_000},
        {
            "content": b'{"email": "a@example.com", "password": "p"}',
            "headers": {"content-type": "text/plain"},
        },
        {
            "content": b'{"email": "a@example.com", "password": "p"}',
            "params": {"x": "1"},
        },
    ],
)
async def test_login_hands_every_other_body_to_fastapi(
    client: httpx.AsyncClient,
    fastapi_only: httpx.AsyncClient,
    handed_on: list[str],
    request_: dict[str, Any],
) -> None:
    request_ = {"headers": {"content-type": "application/json"}, **request_}
    hot, plain = await both(client, fastapi_only, "POST", LOGIN, **request_)
    assert hot == plain
    assert hot[0] in (400, 401, 413, 415, 422)
    assert handed_on == [LOGIN]
