"""The admin's table API: every listed column is in the table's schema (the
front end crashed on one that was not), secrets are in no answer and cannot
be written, an unchanged save changes nothing, service-written tables are
read-only, and every write is a security event with the admin's name."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from piccolo.columns import Column
from piccolo.table import Table

from auth_tables.tables import (
    Account,
    Password,
    SecurityEvent,
    SecurityEventType,
    Session,
    TwoFactorAuth,
    User,
    VerificationToken,
    VerificationTokenType,
    utc_now,
)
from credit_tables.tables import Package
from mana_core_auth.admin import table_configs
from mana_core_auth.studio.crud import AdminCRUD
from tests.mana_core_auth.studio.support import admin_session

EDITABLE = {"users", "packages"}
SECRET_NAME_PARTS = ("hash", "secret", "password", "backup_code", "recovery_code")
TOKEN_COLUMNS = {"access_token", "refresh_token", "id_token", "token"}


@pytest.fixture
async def admin(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_session(app) as (client, username):
        client.headers["X-Test-Admin"] = username
        yield client


def all_admin_tables() -> list[type[Table]]:
    return [config.table_class for config in table_configs()]


def test_every_column_that_looks_like_a_secret_is_marked_secret() -> None:
    """A key hash or token added later must be `secret=True`, or the admin
    would show it."""
    for table in all_admin_tables():
        for column in table._meta.columns:
            name = column._meta.name
            looks_secret = name in TOKEN_COLUMNS or any(
                part in name for part in SECRET_NAME_PARTS
            )
            if looks_secret and name != "request_fingerprint":
                assert column._meta.secret, f"{table._meta.tablename}.{name}"


async def test_every_listed_column_and_filter_is_in_the_schema(admin) -> None:
    for config in table_configs():
        name = config.table_class._meta.tablename
        response = await admin.get(f"/admin/api/tables/{name}/schema/")
        assert response.status_code == 200, name
        schema = response.json()
        properties = set(schema["properties"])
        extra = schema["extra"]
        link = extra["link_column_name"]
        for column in extra["visible_column_names"]:
            assert column in properties or column == link, (name, column)
        for column in extra["visible_filter_names"]:
            assert column in properties, (name, column)


async def seeded_secrets() -> tuple[uuid.UUID, dict[str, str]]:
    """A user with a row in every table that holds a secret; returns the
    user's id and each secret value."""
    user = User(email=f"{uuid.uuid4().hex}@example.com")
    await user.save()
    values = {
        name: f"SECRET-{name}-{secrets.token_hex(8)}"
        for name in (
            "hashed_password",
            "refresh_token_hash",
            "token_hash",
            "totp_secret",
            "backup_code",
            "access_token",
            "refresh_token",
            "id_token",
        )
    }
    now = utc_now()
    await Password(user=user.id, hashed_password=values["hashed_password"]).save()
    await Session(
        user=user.id,
        family_id=uuid.uuid4(),
        refresh_token_hash=values["refresh_token_hash"][:64],
        refresh_token_expires_at=now + timedelta(days=1),
        expires_at=now + timedelta(days=1),
    ).save()
    await VerificationToken(
        user=user.id,
        token_hash=values["token_hash"][:64],
        type=VerificationTokenType.password_reset,
        expires_at=now + timedelta(hours=1),
    ).save()
    await TwoFactorAuth(
        user=user.id, secret=values["totp_secret"], backup_codes=[values["backup_code"]]
    ).save()
    await Account(
        user=user.id,
        provider="github",
        provider_account_id=uuid.uuid4().hex,
        access_token=values["access_token"],
        refresh_token=values["refresh_token"],
        id_token=values["id_token"],
    ).save()
    return user.id, values


SECRET_TABLES = {
    "passwords": ["hashed_password"],
    "sessions": ["refresh_token_hash"],
    "verification_tokens": ["token_hash"],
    "two_factor_auth": ["secret", "backup_codes"],
    "accounts": ["access_token", "refresh_token", "id_token"],
}


async def test_no_answer_of_the_admin_api_holds_a_secret(admin) -> None:
    user_id, values = await seeded_secrets()
    answers: list[httpx.Response] = []
    for table, columns in SECRET_TABLES.items():
        base = f"/admin/api/tables/{table}"
        rows = await admin.get(f"{base}/", params={"user": str(user_id)})
        readable = await admin.get(
            f"{base}/", params={"user": str(user_id), "__readable": "true"}
        )
        assert rows.json()["rows"], f"{table}: the filter by user finds the row"
        row = rows.json()["rows"][0]
        pk = row[
            (await admin.get(f"{base}/schema/")).json()["extra"]["primary_key_name"]
        ]
        single = await admin.get(f"{base}/{pk}/", params={"__readable": "true"})
        answers += [
            rows,
            readable,
            single,
            await admin.get(f"{base}/schema/"),
            await admin.get(f"{base}/new/"),
            await admin.get(f"{base}/ids/"),
        ]
        for column in columns:
            assert column not in row and column not in single.json(), (table, column)
            for query in (
                {"__visible_fields": column},
                {"__order": column},
                {column: "x"},
                {f"{column}__operator": "is_null"},
            ):
                refused = await admin.get(f"{base}/", params=query)
                assert refused.status_code == 400, (table, query, refused.text)
    for answer in answers:
        assert answer.status_code == 200, answer.request.url
        for value in values.values():
            assert value[:40] not in answer.text, (answer.request.url, value)


async def test_writing_a_secret_is_refused_even_where_the_table_is_editable(
    admin,
) -> None:
    """The read-only tables refuse every write (405) first; without that,
    the CRUD layer itself refuses a secret column (422)."""
    user_id, values = await seeded_secrets()
    refused = await admin.patch(
        f"/admin/api/tables/passwords/{user_id}/", json={"hashed_password": ""}
    )
    assert refused.status_code == 405
    crud = AdminCRUD(Password, read_only=False)
    request = _request(admin, "PATCH")
    for data in ({"hashed_password": ""}, {"hashed_password": "x", "created_at": None}):
        response = await crud.patch_single(request, user_id, data)
        assert response.status_code == 422
    created = await crud.post_single(
        request, {"user": str(user_id), "hashed_password": "planted"}
    )
    assert created.status_code == 422
    stored = await Password.select(Password.hashed_password).where(
        Password.user == user_id
    )
    assert stored == [{"hashed_password": values["hashed_password"]}]


async def admin_writes_of_row(row_id: Any) -> list[dict[str, Any]]:
    rows = await SecurityEvent.raw(
        "SELECT metadata->>'action' AS action FROM auth.security_events "
        "WHERE event_type = 'admin_write' AND metadata->>'row' = {}",
        str(row_id),
    )
    return list(rows)


def _request(client: httpx.AsyncClient, method: str) -> Any:
    from starlette.requests import Request

    return Request({"type": "http", "method": method, "headers": [], "path": "/"})


async def row(table: type[Table], pk_column: Column, pk: Any) -> dict[str, Any]:
    found = await table.select().where(pk_column == pk).first()
    assert found is not None
    return found


async def test_an_unchanged_save_changes_nothing(admin) -> None:
    user = User(email=f"{uuid.uuid4().hex}@example.com", name="Ada")
    await user.save()
    package = Package(
        name=f"Pack {uuid.uuid4().hex[:6]}",
        credits=100,
        price_euro_cents=100,
        metadata='{"seeded": false, "tags": ["a"]}',
    )
    await package.save()
    for table, pk in (("users", user.id), ("packages", package.id)):
        table_class = User if table == "users" else Package
        before = await row(table_class, table_class._meta.primary_key, pk)
        shown = (await admin.get(f"/admin/api/tables/{table}/{pk}/")).json()
        # What the form sends back: every field, timestamps to the second,
        # JSON pretty-printed, NULL text as "".
        body = {
            key: (
                value[:19] + ".000Z"
                if isinstance(value, str) and key.endswith("_at") and value
                else value
            )
            for key, value in shown.items()
            if key != table_class._meta.primary_key._meta.name
        }
        if "metadata" in body:
            body["metadata"] = '{\n  "seeded": false,\n  "tags": ["a"]\n}'
        if "avatar_url" in body:
            body["avatar_url"] = ""
        saved = await admin.patch(f"/admin/api/tables/{table}/{pk}/", json=body)
        assert saved.status_code == 200, saved.text
        assert await row(table_class, table_class._meta.primary_key, pk) == before
    assert await admin_writes_of_row(user.id) == []


async def test_a_change_writes_that_column_and_a_security_event(admin) -> None:
    user = User(email=f"{uuid.uuid4().hex}@example.com", name="Ada")
    await user.save()
    before = await row(User, User.id, user.id)
    response = await admin.patch(
        f"/admin/api/tables/users/{user.id}/",
        json={"name": "Ada Lovelace", "email": before["email"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Ada Lovelace"
    after = await row(User, User.id, user.id)
    assert after["name"] == "Ada Lovelace"
    assert {k: v for k, v in after.items() if k not in ("name", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("name", "updated_at")
    }
    event = (
        await SecurityEvent.select()
        .where(
            SecurityEvent.user == user.id,
            SecurityEvent.event_type == SecurityEventType.admin_write,
        )
        .output(load_json=True)
        .first()
    )
    assert event is not None
    assert event["metadata"] == {
        "admin": admin.headers["X-Test-Admin"],
        "action": "update",
        "table": "users",
        "row": str(user.id),
        "columns": ["name"],
    }


async def test_a_change_the_database_refuses_is_a_4xx(admin) -> None:
    user = User(email=f"{uuid.uuid4().hex}@example.com")
    await user.save()
    response = await admin.patch(
        f"/admin/api/tables/users/{user.id}/", json={"email": "Not@Lower.Case"}
    )
    assert response.status_code == 422
    assert (await row(User, User.id, user.id))["email"] == user.email


async def test_service_written_tables_are_read_only(admin) -> None:
    await seeded_secrets()
    for config in table_configs():
        name = config.table_class._meta.tablename
        if name in EDITABLE:
            continue
        rows = (await admin.get(f"/admin/api/tables/{name}/")).json()["rows"]
        pk_name = (await admin.get(f"/admin/api/tables/{name}/schema/")).json()[
            "extra"
        ]["primary_key_name"]
        created = await admin.post(f"/admin/api/tables/{name}/", json={})
        assert created.status_code == 405, name
        if rows:
            pk = rows[0][pk_name]
            for method in ("PATCH", "PUT", "DELETE"):
                answer = await admin.request(
                    method, f"/admin/api/tables/{name}/{pk}/", json={}
                )
                assert answer.status_code == 405, (name, method)


async def test_users_are_not_deleted_from_the_admin(admin) -> None:
    user = User(email=f"{uuid.uuid4().hex}@example.com")
    await user.save()
    response = await admin.delete(f"/admin/api/tables/users/{user.id}/")
    assert response.status_code == 405
    assert await User.exists().where(User.id == user.id)


async def test_foreign_keys_read_as_the_users_email(admin) -> None:
    user_id, _ = await seeded_secrets()
    email = (await row(User, User.id, user_id))["email"]
    rows = await admin.get(
        "/admin/api/tables/sessions/",
        params={"user": str(user_id), "__readable": "true"},
    )
    assert rows.json()["rows"][0]["user_readable"] == email
    ids = await admin.get("/admin/api/tables/users/ids/", params={"search": email})
    assert ids.json() == {str(user_id): email}


async def test_packages_are_created_and_deleted_with_events(admin) -> None:
    # As the Add Row form does: the defaults from /new/, then the fields.
    defaults = (await admin.get("/admin/api/tables/packages/new/")).json()
    name = f"Pack {uuid.uuid4().hex[:6]}"
    created = await admin.post(
        "/admin/api/tables/packages/",
        json={**defaults, "name": name, "credits": 10, "price_euro_cents": 10},
    )
    assert created.status_code == 201, created.text
    package_id = created.json()[0]["id"]
    deleted = await admin.delete(f"/admin/api/tables/packages/{package_id}/")
    assert deleted.status_code == 204
    actions = [event["action"] for event in await admin_writes_of_row(package_id)]
    assert sorted(actions) == ["create", "delete"]
