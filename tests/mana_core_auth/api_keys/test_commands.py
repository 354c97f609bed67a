"""`piccolo mana create_api_key`, `list_api_keys` and `revoke_api_key`."""

from __future__ import annotations

import httpx

from auth_tables.tables import ApiKey
from tests.database import piccolo
from tests.mana_core_auth.api_keys.support import USE, spend_body
from tests.mana_core_auth.credits.support import CreditUser


async def test_an_operator_makes_lists_and_revokes_a_service_key(
    client: httpx.AsyncClient, user: CreditUser, database_url: str
) -> None:
    created = piccolo(
        "mana",
        "create_api_key",
        "--name=chat",
        "--scopes=credits:spend,credits:refund",
        database_url=database_url,
    )
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("mk_svc_")
    assert created.stdout.count(key) == 1
    headers = {"Authorization": f"Bearer {key}"}
    spent = await client.post(
        USE, json=spend_body(userId=str(user.id)), headers=headers
    )
    assert spent.status_code == 201, spent.text

    row = await ApiKey.select().where(ApiKey.prefix == key[:15]).first()
    assert row is not None
    assert (row["app_id"], row["scopes"]) == (
        "chat",
        ["credits:spend", "credits:refund"],
    )
    listed = piccolo("mana", "list_api_keys", database_url=database_url)
    assert row["prefix"] in listed.stdout and key not in listed.stdout

    piccolo(
        "mana", "revoke_api_key", f"--key_id={row['id']}", database_url=database_url
    )
    refused = await client.post(
        USE, json=spend_body(userId=str(user.id)), headers=headers
    )
    assert refused.status_code == 401
    assert (
        str(row["id"])
        not in piccolo("mana", "list_api_keys", database_url=database_url).stdout
    )
    assert (
        str(row["id"])
        in piccolo(
            "mana", "list_api_keys", "--include_revoked", database_url=database_url
        ).stdout
    )


async def test_a_key_with_a_scope_it_cannot_have_is_not_made(
    database_url: str,
) -> None:
    result = piccolo(
        "mana",
        "create_api_key",
        "--name=nope",
        "--scopes=credits:spend,credits:read",
        database_url=database_url,
        check=False,
    )
    assert result.returncode == 1
    assert "service keys cannot have the scope credits:read" in result.stderr
    assert "mk_svc_" not in result.stdout
    assert not await ApiKey.exists().where(ApiKey.name == "nope")
