"""The admin as an operator meets it: Debian's chromium, driven by
Playwright, against the real service (uvicorn, 2 workers, production
settings) on the test database.

An admin logs in through the page with a TOTP code, opens every table and
every form, saves an unchanged row of every editable table, grants credits
and reads them back through the API. No console error, no failed
`/admin/api/` request, and no secret value in anything the browser
received. Screenshots go to the folder printed at the start
(`ADMIN_SCREENSHOTS`, default `.data/screenshots/admin`).

Without chromium the tests are skipped with the reason; in CI they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from piccolo.apps.user.tables import BaseUser

from auth_tables.tables import Account, TwoFactorAuth, User
from credit_tables.tables import Purchase, StripeEvent
from mana_core_auth.admin import table_configs
from mana_core_auth.settings import get_settings
from mana_core_auth.studio.two_factor import admin_two_factor_provider, enrol_admin
from tests.database import PROJECT_ROOT, fetch
from tests.deploy.support import Server, start

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these chromium's own background connections fail on a closed
    # network and it refuses others.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PORTS = range(18100, 18200)
ROW = "tbody tr:has(input[type=checkbox])"  # a row of a list view
PASSWORD = "correct-horse-battery-staple-42"
SECRET_QUERIES = [
    "SELECT hashed_password AS v FROM auth.passwords",
    "SELECT refresh_token_hash AS v FROM auth.sessions",
    "SELECT token_hash AS v FROM auth.verification_tokens",
    "SELECT secret AS v FROM auth.two_factor_auth",
    "SELECT jsonb_array_elements_text(backup_codes) AS v FROM auth.two_factor_auth",
    "SELECT unnest(ARRAY[access_token, refresh_token, id_token]) AS v "
    "FROM auth.accounts",
    "SELECT secret AS v FROM authenticator_secret",
    "SELECT unnest(recovery_codes) AS v FROM authenticator_secret",
    "SELECT password AS v FROM piccolo_user",
    "SELECT key_hash AS v FROM auth.api_keys",
    "SELECT token_hash AS v FROM auth.guild_invitations",
]


async def secrets() -> set[str]:
    """Every secret value in the database now."""
    return {
        row["v"]
        for query in SECRET_QUERIES
        for row in await fetch(os.environ["DATABASE_URL"], query)
        if row["v"] and len(row["v"]) >= 8
    }


def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    reason = None
    if not Path(path).exists():
        reason = "chromium is not installed (apt-get install chromium)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            reason = (
                "playwright is not installed (pip install -r requirements-dev.lock)"
            )
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"CI runs the browser tests: {reason}")
    if reason:
        pytest.skip(reason)
    return path


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 18100-18199")


@pytest.fixture(scope="module")
def screenshots(request: pytest.FixtureRequest) -> Path:
    folder = Path(
        os.environ.get("ADMIN_SCREENSHOTS", PROJECT_ROOT / ".data/screenshots/admin")
    )
    folder.mkdir(parents=True, exist_ok=True)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"admin screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def service(database_url: str) -> Iterator[Server]:
    chromium()
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "ADMIN_", "PICCOLO_"))
        and key not in {"ENVIRONMENT", "PORT", "HOST", "WEB_CONCURRENCY"}
    }
    env.update(
        DATABASE_URL=database_url,
        ENVIRONMENT="production",
        ADMIN_ALLOWED_HOSTS="127.0.0.1",
        FORWARDED_ALLOW_IPS="127.0.0.1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    server = start(
        [
            sys.executable,
            *("-m", "uvicorn", "main:app", "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", "2", "--proxy-headers"),
            *("--forwarded-allow-ips", "127.0.0.1"),
        ],
        env=env,
        port=port,
        cwd=PROJECT_ROOT,
    )
    try:
        server.wait_ready(timeout=90)
        yield server
    finally:
        server.stop()


@dataclass
class Seeded:
    email: str
    user_id: str
    usage_id: str


async def seed(api: httpx.AsyncClient) -> Seeded:
    """A user with a row in every table the admin shows."""
    email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
    registered = await api.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
    )
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["id"]
    await api.post("/api/v1/auth/login", json={"email": email, "password": "wrong-1"})
    tokens = (
        await api.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
    ).json()
    usage = await api.post(
        "/api/v1/credits/use",
        json={"amount": 4, "appId": "chat", "description": "browser test"},
        headers={"Authorization": f"Bearer {tokens['accessToken']}"},
    )
    assert usage.status_code == 201, usage.text
    await api.post("/api/v1/auth/forgot-password", json={"email": email})
    await TwoFactorAuth(
        user=user_id, secret=f"enc-{uuid.uuid4().hex}", backup_codes=[uuid.uuid4().hex]
    ).save()
    await Account(
        user=user_id,
        provider="github",
        provider_account_id=uuid.uuid4().hex,
        access_token=f"gho_{uuid.uuid4().hex}",
        refresh_token=f"ghr_{uuid.uuid4().hex}",
    ).save()
    purchase = Purchase(user=user_id, credits=500, price_euro_cents=500)
    await purchase.save()
    await StripeEvent(
        event_id=f"evt_{uuid.uuid4().hex}",
        type="checkout.session.completed",
        purchase=purchase.id,
        outcome="seeded by the browser test",
    ).save()
    key = await api.post(
        "/api/v1/api-keys",
        json={"name": "browser", "scopes": ["credits:read"]},
        headers={"Authorization": f"Bearer {tokens['accessToken']}"},
    )
    assert key.status_code == 201, key.text
    bearer = {"Authorization": f"Bearer {tokens['accessToken']}"}
    guild = await api.post(
        "/api/v1/guilds", json={"name": f"Browser {email[8:16]}"}, headers=bearer
    )
    assert guild.status_code == 201, guild.text
    guild_id = guild.json()["id"]
    for path, body in (
        (f"/api/v1/guilds/{guild_id}/invite", {"email": "x" + email, "role": "member"}),
        (f"/api/v1/credits/guild/{guild_id}/fund", {"amount": 5}),
    ):
        answer = await api.post(path, json=body, headers=bearer)
        assert answer.status_code == 201, answer.text
    limits = await api.put(
        f"/api/v1/credits/guild/{guild_id}/members/{user_id}/limits",
        json={"dailyLimit": 10, "monthlyLimit": 100},
        headers=bearer,
    )
    assert limits.status_code == 200, limits.text
    return Seeded(email, user_id, usage.json()["transaction"]["id"])


@dataclass
class Watch:
    """What the browser saw: console errors, failed admin API calls and
    every admin API answer's body."""

    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.errors.clear()
        self.failed.clear()


@dataclass
class Admin:
    page: Any
    watch: Watch
    base: str
    username: str
    seeded: Seeded
    screenshots: Path
    api: httpx.AsyncClient
    secrets: set[str]


@pytest.fixture(scope="module")
async def admin(service: Server, screenshots: Path, app: Any) -> AsyncIterator[Admin]:
    from playwright.async_api import async_playwright

    base = service.url("")
    async with httpx.AsyncClient(base_url=base, timeout=30) as api:
        seeded = await seed(api)
        username, password = f"op-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
        await BaseUser.create_user(
            username=username,
            password=password,
            email=f"{username}@example.com",
            admin=True,
            active=True,
        )
        user = await BaseUser.objects().where(BaseUser.username == username).first()
        assert user is not None
        enrolment = await enrol_admin(user, admin_two_factor_provider(get_settings()))
        totp = pyotp.TOTP(parse_qs(urlsplit(enrolment.otpauth_uri).query)["secret"][0])

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium(), args=CHROMIUM_ARGS
            )
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            watch = Watch()
            watching = False

            def on_console(message: Any) -> None:
                if watching and message.type == "error":
                    watch.errors.append(f"{page.url}: {message.text}")

            async def on_response(response: Any) -> None:
                if "/admin/api/" not in response.url:
                    return
                if watching and response.status >= 400:
                    watch.failed.append(f"{response.status} {response.url}")
                # A redirect, or an answer of a page already left, has no body.
                with contextlib.suppress(Exception):
                    watch.bodies.append(await response.text())

            page.on("console", on_console)
            page.on("pageerror", lambda error: watch.errors.append(str(error)))
            page.on("response", on_response)

            await page.goto(f"{base}/admin/")
            await page.fill("input[name=username]", username)
            await page.fill("input[name=password]", password)
            await page.click("[data-uitest=login_button]")
            await page.wait_for_selector("input[placeholder='123456']")
            await page.screenshot(path=screenshots / "00-login-asks-for-the-code.png")
            await page.fill("input[placeholder='123456']", totp.now())
            await page.click("[data-uitest=login_button]")
            await page.wait_for_selector("text=Verification Tokens", timeout=15000)
            await page.screenshot(path=screenshots / "01-home.png")
            watching = True
            yield Admin(
                page, watch, base, username, seeded, screenshots, api, await secrets()
            )
            await browser.close()


async def settle(page: Any) -> None:
    await page.wait_for_load_state("networkidle")
    await page.wait_for_timeout(300)


async def test_every_table_renders_its_rows(admin: Admin) -> None:
    page, watch = admin.page, admin.watch
    tables = json.loads(
        await (await page.request.get(f"{admin.base}/admin/api/tables/")).text()
    )
    assert len(tables) == len(table_configs())
    rendered = []
    for table in tables:
        watch.clear()
        await page.goto(f"{admin.base}/admin/#/{table}")
        await page.wait_for_selector(ROW, state="attached", timeout=15000)
        await settle(page)
        await page.screenshot(
            path=admin.screenshots / f"table-{table}.png", full_page=True
        )
        assert watch.errors == [], table
        assert watch.failed == [], table
        assert await page.locator(f"{ROW} >> visible=true").count() >= 1, table
        rendered.append(table)
    print(f"tables rendered without errors: {len(rendered)} of {len(tables)}")


def editable(table: str) -> bool:
    config = next(c for c in table_configs() if c.table_class._meta.tablename == table)
    return not (config.validators and config.validators.patch_single)


async def db_row(table: str, pk_name: str, pk: str) -> list[Any]:
    config = next(c for c in table_configs() if c.table_class._meta.tablename == table)
    meta = config.table_class._meta
    column = meta.primary_key._meta.db_column_name
    return [
        dict(row)
        for row in await fetch(
            os.environ["DATABASE_URL"],
            f'SELECT * FROM {meta.schema}."{meta.tablename}" '
            f'WHERE "{column}"::text = $1',
            pk,
        )
    ]


async def test_every_edit_page_opens_and_an_unchanged_save_changes_nothing(
    admin: Admin,
) -> None:
    page, watch = admin.page, admin.watch
    changed = saved = 0
    for config in table_configs():
        table = config.table_class._meta.tablename
        schema = json.loads(
            await (
                await page.request.get(f"{admin.base}/admin/api/tables/{table}/schema/")
            ).text()
        )
        pk_name = schema["extra"]["primary_key_name"]
        rows = json.loads(
            await (
                await page.request.get(f"{admin.base}/admin/api/tables/{table}/")
            ).text()
        )["rows"]
        pk = str(rows[0][pk_name])
        before = await db_row(table, pk_name, pk)
        watch.clear()
        # From one row to the next only the URL's fragment would change: the
        # page stays, and its last form could still be on screen (saving then
        # sent the last table's fields). Each edit page is a new page load.
        await page.goto("about:blank")
        async with page.expect_response(
            lambda r, table=table, pk=pk: (
                r.request.method == "GET" and f"/tables/{table}/{pk}/" in r.url
            ),
            timeout=15000,
        ):
            await page.goto(f"{admin.base}/admin/#/{table}/{pk}")
        await page.wait_for_selector("form button", timeout=15000)
        await settle(page)
        await page.screenshot(
            path=admin.screenshots / f"edit-{table}.png", full_page=True
        )
        assert watch.errors == [], table
        assert watch.failed == [], table
        if not editable(table):
            continue
        async with page.expect_response(
            lambda r, table=table: (
                r.request.method == "PATCH" and f"/tables/{table}/" in r.url
            )
        ) as answer:
            await page.locator("form button", has_text="Save").first.click()
        response = await answer.value
        assert response.status == 200, (table, await response.text())
        await settle(page)
        saved += 1
        changed += (await db_row(table, pk_name, pk)) != before
        assert watch.errors == [], table
    assert saved == 2, "users and packages are edited in the admin"
    print(f"rows changed by an unchanged save: {changed} of {saved} saved")
    assert changed == 0


async def test_every_form_renders(admin: Admin) -> None:
    page, watch = admin.page, admin.watch
    forms = json.loads(
        await (await page.request.get(f"{admin.base}/admin/api/forms/")).text()
    )
    assert {form["slug"] for form in forms} == {
        "grant-credits",
        "refund-usage",
        "create-service-key",
        "revoke-api-key",
        "reset-two-factor",
    }
    for form in forms:
        watch.clear()
        await page.goto(f"{admin.base}/admin/#/forms/{form['slug']}")
        await page.wait_for_selector("[data-uitest=submit_custom_form_button]")
        await settle(page)
        await page.screenshot(
            path=admin.screenshots / f"form-{form['slug']}.png", full_page=True
        )
        assert watch.errors == [] and watch.failed == [], form
    await page.goto(f"{admin.base}/admin/#/forms/grant-credits")
    await page.wait_for_selector("select[name=free_credits]")
    options = await page.locator("select[name=free_credits] option").all_inner_texts()
    assert [option.strip() for option in options] == ["True", "False"]
    assert await page.get_attribute("input[name=amount]", "type") == "number"


async def submit_form(admin: Admin, slug: str, fields: dict[str, str]) -> str:
    page = admin.page
    await page.goto(f"{admin.base}/admin/#/forms/{slug}")
    await page.reload()  # a form page left after submitting shows the result
    await page.wait_for_selector("[data-uitest=submit_custom_form_button]")
    for name, value in fields.items():
        if await page.locator(f"select[name={name}]").count():
            await page.select_option(f"select[name={name}]", value)
        else:
            await page.fill(f"[name={name}]", value)
    async with page.expect_response(lambda r: f"/forms/{slug}/" in r.url) as answer:
        await page.click("[data-uitest=submit_custom_form_button]")
    response = await answer.value
    await settle(page)
    await page.screenshot(
        path=admin.screenshots / f"form-{slug}-done.png", full_page=True
    )
    assert response.status == 200, await response.text()
    message: str = json.loads(await response.text())["custom_form_success"]
    assert await page.locator(f"text={message[:30]}").count() >= 1
    return message


async def test_credits_granted_in_the_form_show_in_the_api(admin: Admin) -> None:
    email = admin.seeded.email
    await submit_form(
        admin,
        "grant-credits",
        {"email": email, "amount": "250", "free_credits": "false", "reason": "browser"},
    )
    await submit_form(
        admin, "refund-usage", {"transaction_id": admin.seeded.usage_id, "reason": "x"}
    )
    tokens = (
        await admin.api.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
    ).json()
    balance = await admin.api.get(
        "/api/v1/credits/balance",
        headers={"Authorization": f"Bearer {tokens['accessToken']}"},
    )
    assert balance.status_code == 200
    assert balance.json()["balance"] == 250
    # The refund gave back the 4 free credits, 5 went to the seeded guild's
    # pool; a daily grant may have come.
    assert balance.json()["freeCreditsRemaining"] in {
        145,
        145 + get_settings().credits_daily_free,
    }
    assert admin.watch.errors == [] and admin.watch.failed == []


async def test_the_two_factor_reset_form(admin: Admin) -> None:
    await submit_form(
        admin,
        "reset-two-factor",
        {"email": admin.seeded.email, "reason": "Ticket 7: lost phone"},
    )
    assert not await TwoFactorAuth.exists().where(
        TwoFactorAuth.user == admin.seeded.user_id
    )
    await admin.page.goto(f"{admin.base}/admin/api/mfa-setup/")
    await admin.page.screenshot(path=admin.screenshots / "mfa-setup.png")
    assert await admin.page.locator("text=already enrolled").count() == 1


async def test_secrets_never_reach_the_browser(admin: Admin) -> None:
    page = admin.page
    for table in json.loads(
        await (await page.request.get(f"{admin.base}/admin/api/tables/")).text()
    ):
        for query in ("", "?__readable=true", "schema/", "new/", "ids/"):
            answer = await page.request.get(
                f"{admin.base}/admin/api/tables/{table}/{query}"
            )
            admin.watch.bodies.append(await answer.text())
        refused = await page.request.get(
            f"{admin.base}/admin/api/tables/passwords/?__visible_fields=hashed_password"
        )
        assert refused.status == 400
    patch = await page.request.patch(
        f"{admin.base}/admin/api/tables/passwords/{admin.seeded.user_id}/",
        data={"hashed_password": ""},
        headers={"X-CSRFToken": await csrf(page)},
    )
    assert patch.status == 405
    known = admin.secrets | await secrets()
    assert len(known) >= 8
    sent = sum(body.count(secret) for body in admin.watch.bodies for secret in known)
    print(
        f"secret values sent to the browser: {sent} "
        f"({len(known)} secrets, {len(admin.watch.bodies)} admin API answers)"
    )
    assert sent == 0


async def csrf(page: Any) -> str:
    cookies = await page.context.cookies()
    return next(c["value"] for c in cookies if c["name"] == "csrftoken")


async def test_the_api_docs_render_offline(admin: Admin) -> None:
    page = admin.page
    outside: list[str] = []

    async def only_local(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_local)
    admin.watch.clear()
    try:
        await page.goto(f"{admin.base}/api/v1/docs")
        await page.wait_for_selector(".opblock", timeout=20000)
        await page.screenshot(path=admin.screenshots / "api-docs.png")
        assert await page.locator(".opblock").count() > 20
    finally:
        await page.unroute("**/*")
    assert outside == []
    assert admin.watch.errors == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("one IP, one username", "per_username"),
        ("one IP, many usernames", "per_ip"),
        ("one IPv6 /64, many addresses and usernames", "per_ip"),
        ("many IPs, one username", "per_username"),
    ],
)
async def test_admin_brute_force(admin: Admin, case: str, expected: str) -> None:
    """Wrong passwords before the first 429, against both workers."""
    settings = get_settings()
    limit = {
        "per_username": settings.admin_login_failures_per_username,
        "per_ip": settings.admin_login_failures_per_ip,
    }[expected]
    run = uuid.uuid4().int
    prefix = f"2001:db8:{run % 65536:x}:{run >> 16 & 65535:x}"
    target = f"target-{run}"
    statuses = []
    async with httpx.AsyncClient(base_url=admin.base, timeout=30) as client:
        await client.get("/admin/")
        for i in range(limit + 5):
            ip = {
                "one IP, one username": f"198.18.{run % 250}.{run >> 8 & 250}",
                "one IP, many usernames": f"198.19.{run % 250}.{run >> 8 & 250}",
                "one IPv6 /64, many addresses and usernames": f"{prefix}::{i + 1:x}",
                "many IPs, one username": f"203.0.{run % 200}.{i + 1}",
            }[case]
            username = target if "one username" in case else f"nobody-{run}-{i}"
            answer = await client.post(
                "/admin/public/login/",
                json={"username": username, "password": "wrong"},
                headers={
                    "X-Forwarded-For": ip,
                    "X-CSRFToken": client.cookies["csrftoken"],
                },
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                assert int(answer.headers["Retry-After"]) > 0
                break
    assert 429 in statuses, statuses
    before = statuses.index(429)
    print(f"admin brute force, {case}: {before} wrong passwords before the first 429")
    assert before == limit
    assert set(statuses[:before]) == {401}


async def test_a_user_is_shown_by_email(admin: Admin) -> None:
    page = admin.page
    await page.goto(f"{admin.base}/admin/#/sessions")
    await page.wait_for_selector(ROW, state="attached")
    await settle(page)
    assert await page.locator(f"table tbody >> text={admin.seeded.email}").count() >= 1
    user = await User.select(User.id).where(User.email == admin.seeded.email).first()
    assert user is not None
    assert await page.locator(f"table tbody >> text={user['id']}").count() == 0
