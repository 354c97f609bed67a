"""Mail to an address nobody has proven to own carries no text a requester
chose: otherwise anyone could make the service mail a stranger their words
under its name. Names refuse control characters and line breaks."""

from __future__ import annotations

import pytest

from tests.mana_core_auth.auth.mailbox import Mailbox, body, token_in
from tests.mana_core_auth.auth.support import PASSWORD, unique_email

PHISH = "URGENT your account is locked, log in at https://evil.example/login"


def _mail_text(message) -> str:
    return body(message) + body(message, "html") + str(message["Subject"])


async def _register(mail_client, email: str, name: str):
    return await mail_client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": name},
    )


async def test_mail_to_an_unverified_address_carries_no_name(
    mail_client, smtp_server: Mailbox
) -> None:
    email = unique_email()
    registered = await _register(mail_client, email, PHISH)
    assert registered.status_code == 201, registered.text
    resent = await mail_client.post(
        "/api/v1/auth/resend-verification", json={"email": email}
    )
    assert resent.status_code == 202
    forgot = await mail_client.post(
        "/api/v1/auth/forgot-password", json={"email": email}
    )
    assert forgot.status_code == 202
    mails = smtp_server.to(email)
    assert [mail["Subject"] for mail in mails] == [
        "Confirm your email address",
        "Confirm your email address",
        "Reset your password",
    ]
    for mail in mails:
        text = _mail_text(mail)
        assert "URGENT" not in text and "evil.example" not in text
        assert body(mail).splitlines()[0] == "Hello,"


async def test_once_verified_the_owner_is_greeted_by_name(
    mail_client, smtp_server: Mailbox
) -> None:
    email = unique_email()
    assert (await _register(mail_client, email, "Ada")).status_code == 201
    [verification] = smtp_server.to(email)
    verified = await mail_client.post(
        "/api/v1/auth/verify-email", json={"token": token_in(verification)}
    )
    assert verified.status_code == 200
    await mail_client.post("/api/v1/auth/forgot-password", json={"email": email})
    assert body(smtp_server.to(email)[-1]).splitlines()[0] == "Hello Ada,"


@pytest.mark.parametrize(
    "name",
    [
        "Ada\nURGENT",
        "Ada\r\nBcc: x@example.com",
        "Ada\tLovelace",
        "Ada\x1b[31m",
        "Ada\x7f",
        "Ada\x85",
        "Ada\u2028Lovelace",
        "Ada\u2029",
    ],
)
async def test_names_refuse_control_characters_and_line_breaks(client, name) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": unique_email(), "password": PASSWORD, "name": name},
    )
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["code"] == "VALIDATION_FAILED"
    assert [item["field"] for item in error["errors"]] == ["name"]


async def test_names_keep_letters_of_every_script(client) -> None:
    for name in ("Ada Lovelace", "Zoë O'Brien-Núñez", "李小龍", "مريم", "👩‍💻 Ada"):
        response = await client.post(
            "/api/v1/auth/register",
            json={"email": unique_email(), "password": PASSWORD, "name": name},
        )
        assert response.status_code == 201, response.text
        assert response.json()["name"] == name
