"""`GET /metrics`: what operators scrape, counted where things happen,
labelled by route template (never by raw path), off in production unless
asked for, and behind METRICS_TOKEN when it is set."""

from __future__ import annotations

import re
import uuid

from mana_core_auth.observability.metrics import BoundedLabel, limit_name
from mana_core_auth.settings import get_settings
from tests.mana_core_auth.auth.support import (
    PASSWORD,
    bearer,
    login,
    new_caller,
    register,
    unique_email,
)
from tests.mana_core_auth.observability.conftest import scrape, value

FAMILIES = (
    "mana_http_requests_total counter",
    "mana_http_request_duration_seconds histogram",
    "mana_logins_total counter",
    "mana_refreshes_total counter",
    "mana_credits_spent_total counter",
    "mana_credits_purchased_total counter",
    "mana_rate_limited_total counter",
    "mana_db_pool_connections gauge",
)


async def test_metrics_are_served_in_prometheus_text_format(client) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    for family in FAMILIES:
        assert f"# TYPE {family}\n" in response.text, family


async def test_requests_are_counted_under_their_route_template(client) -> None:
    caller = await new_caller(client)
    session_id = str(uuid.uuid4())
    missing = f"/nothing-here-{uuid.uuid4().hex}"
    before = await scrape(client)

    deleted = await client.delete(
        f"/api/v1/auth/sessions/{session_id}", headers=caller.headers
    )
    assert deleted.status_code == 404
    assert (await client.get(missing)).status_code == 404
    assert (await client.get(f"/api/v1{missing}")).status_code == 404
    response = await client.get("/metrics")
    after = await scrape(client)

    template = "/api/v1/auth/sessions/{session_id}"
    counted = ("mana_http_requests_total", {"method": "DELETE", "route": template})
    assert value(after, counted[0], **counted[1], status="404") == (
        value(before, counted[0], **counted[1], status="404") + 1
    )
    assert (
        value(
            after,
            "mana_http_request_duration_seconds_count",
            method="DELETE",
            route=template,
        )
        == value(
            before,
            "mana_http_request_duration_seconds_count",
            method="DELETE",
            route=template,
        )
        + 1
    )
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "mana_http_requests_total", **unmatched) == (
        value(before, "mana_http_requests_total", **unmatched) + 2
    )
    for raw in (session_id, missing):
        assert raw not in response.text


async def test_logins_and_refreshes_are_counted_by_outcome(
    client, limited_client
) -> None:
    user = await register(client)
    before = await scrape(client)
    # No grace for a second use of a refresh token: it is refused at once.
    async with limited_client(refresh_reuse_grace_seconds=0) as http:
        assert (
            await login(http, user["email"], "wrong-password-here")
        ).status_code == 401
        good = await login(http, user["email"])
        assert good.status_code == 200
        refresh = {"refreshToken": good.json()["refreshToken"]}
        refreshed = await http.post("/api/v1/auth/refresh", json=refresh)
        assert refreshed.status_code == 200
        reused = await http.post("/api/v1/auth/refresh", json=refresh)
        assert reused.status_code == 401
    after = await scrape(client)

    def delta(name: str, outcome: str) -> float:
        return value(after, name, outcome=outcome) - value(
            before, name, outcome=outcome
        )

    assert delta("mana_logins_total", "success") == 1
    assert delta("mana_logins_total", "invalid_credentials") == 1
    assert delta("mana_refreshes_total", "success") == 1
    assert delta("mana_refreshes_total", "invalid_refresh_token") == 1


async def test_spent_credits_are_counted_once_per_app(client) -> None:
    caller = await new_caller(client)
    app_id = f"metrics-{uuid.uuid4().hex[:8]}"
    body = {
        "amount": 3,
        "appId": app_id,
        "description": "counted",
        "idempotencyKey": uuid.uuid4().hex,
    }
    before = await scrape(client)
    for _ in range(2):  # the second is a replay: nothing more is spent
        spent = await client.post(
            "/api/v1/credits/use", json=body, headers=caller.headers
        )
        assert spent.status_code == 201, spent.text
    too_much = {**body, "amount": 1_000_000, "idempotencyKey": uuid.uuid4().hex}
    refused = await client.post(
        "/api/v1/credits/use", json=too_much, headers=caller.headers
    )
    assert refused.json()["code"] == "INSUFFICIENT_CREDITS"
    after = await scrape(client)
    assert value(after, "mana_credits_spent_total", app_id=app_id) == (
        value(before, "mana_credits_spent_total", app_id=app_id) + 3
    )


async def test_rate_limited_attempts_are_counted_by_kind_of_limit(
    client, limited_client
) -> None:
    user = await register(client)
    before = await scrape(client)
    async with limited_client(rate_limit_login_failures_per_account=1) as http:
        for expected in (401, 429, 429):
            answer = await login(http, user["email"], "wrong-password-here")
            assert answer.status_code == expected
    after = await scrape(client)
    labels = {"limit": "login:account"}
    assert value(after, "mana_rate_limited_total", **labels) == (
        value(before, "mana_rate_limited_total", **labels) + 2
    )
    # The kind of limit only (two words), never the address, digest or id.
    limits = {
        dict(key[1])["limit"] for key in after if key[0] == "mana_rate_limited_total"
    }
    assert all(re.fullmatch(r"[a-z_-]+:[a-z_-]+", name) for name in limits), limits


async def test_the_database_pool_is_shown(client) -> None:
    samples = await scrape(client)
    settings = get_settings()
    pool_max = value(samples, "mana_db_pool_connections", state="max")
    assert pool_max == settings.database_pool_max
    in_use = value(samples, "mana_db_pool_connections", state="in_use")
    idle = value(samples, "mana_db_pool_connections", state="idle")
    assert in_use >= 0 and 1 <= in_use + idle <= pool_max


async def test_metrics_are_not_served_in_production_unless_enabled(
    limited_client,
) -> None:
    async with limited_client(environment="production") as http:
        response = await http.get("/metrics")
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
    async with limited_client(environment="production", metrics_enabled=True) as http:
        assert (await http.get("/metrics")).status_code == 200


async def test_metrics_token_is_required_when_set(limited_client) -> None:
    token = "scrape-" + uuid.uuid4().hex
    async with limited_client(
        environment="production", metrics_enabled=True, metrics_token=token
    ) as http:
        for headers in ({}, bearer("wrong"), {"Authorization": token}):
            refused = await http.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.json()["code"] == "UNAUTHORIZED"
            assert token not in refused.text
        served = await http.get("/metrics", headers=bearer(token))
        assert served.status_code == 200
        assert "mana_http_requests_total" in served.text


async def test_metrics_hold_no_email_or_password(client) -> None:
    email = unique_email("metrics")
    await register(client, email)
    await login(client, email, "wrong-password-here")
    await login(client, email, PASSWORD)
    text = (await client.get("/metrics")).text
    assert email not in text and PASSWORD not in text


def test_app_id_labels_are_bounded() -> None:
    label = BoundedLabel(limit=2)
    assert [label(v) for v in ("chat", "picture", "memoro", "chat")] == [
        "chat",
        "picture",
        "other",
        "chat",
    ]
    assert BoundedLabel(limit=5)("bad label\n") == "other"


def test_limit_labels_name_the_limit_not_the_address() -> None:
    assert limit_name("login:account:0123abcd") == "login:account"
    assert limit_name("login:ip:2001:db8::~64") == "login:ip"
    assert limit_name("register:ip:203.0.113.7") == "register:ip"
