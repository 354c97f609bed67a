"""Error answers a person can act on: what was wrong, and where."""

from __future__ import annotations

import pytest

from tests.mana_core_auth.auth.support import PASSWORD, unique_email

REGISTER = "/api/v1/auth/register"


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "text/plain"},
        {},
    ],
)
async def test_a_body_that_is_not_declared_json_says_so(client, headers) -> None:
    response = await client.post(
        REGISTER,
        content=f'{{"email": "{unique_email()}", "password": "{PASSWORD}"}}',
        headers=headers,
    )
    assert response.status_code == 415, response.text
    body = response.json()
    assert body["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "Content-Type: application/json" in body["message"]


async def test_a_form_post_says_to_send_json(client) -> None:
    response = await client.post(
        REGISTER, data={"email": unique_email(), "password": PASSWORD}
    )
    assert response.status_code == 415
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b"{not json", "line 1, column 2"),
        (b'{\n  "email": "a@example.com",\n  "password": }', "line 3, column 15"),
        (b'{"email": "a@example.com",}', "line 1, column 27"),
    ],
)
async def test_invalid_json_says_where_it_broke(client, content, where) -> None:
    response = await client.post(
        REGISTER, content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    [error] = body["errors"]
    assert error["field"] == "body"
    assert where in error["message"], error["message"]
    assert "Invalid JSON" in error["message"]


async def test_a_body_that_is_not_an_object_says_so(client) -> None:
    response = await client.post(
        REGISTER,
        content=b'["a@example.com"]',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "body"
    assert error["message"] == "The body must be a JSON object"


async def test_validation_messages_carry_no_library_prefix(client) -> None:
    nul = await client.post(
        REGISTER, json={"email": unique_email(), "password": PASSWORD, "name": "a\x00b"}
    )
    email = await client.post(REGISTER, json={"email": "ada@", "password": PASSWORD})
    both = await client.post(
        "/api/v1/auth/2fa/verify",
        json={"challengeToken": "x", "code": "123456", "backupCode": "x"},
    )
    messages = [
        item["message"]
        for response in (nul, email, both)
        for item in response.json()["errors"]
    ]
    assert messages[0] == "must not contain NUL characters"
    assert messages[2] == "give either code or backupCode"
    for message in messages:
        assert not message.startswith(("Value error", "Assertion failed")), message


async def test_a_missing_body_says_so(client) -> None:
    response = await client.post(REGISTER, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "body"
    assert error["message"] == "A JSON body is required"
