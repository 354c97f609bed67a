"""What auth routes take from the app they run in: settings, the client's
address, token service, mailer, two-factor keys. Read from the app's state,
never from the environment, so apps with other settings can share a
process. Async on purpose: FastAPI runs plain `def` dependencies in a thread
pool, a hand-off that costs more than these lookups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mana_core_auth.auth.client_ip import ClientInfo, client_info
from mana_core_auth.auth.principal import get_token_service
from mana_core_auth.email.mailer import Mailer
from mana_core_auth.security.session_keys import SessionKeys
from mana_core_auth.security.tokens import TokenService
from mana_core_auth.security.two_factor_keys import TwoFactorKeys
from mana_core_auth.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_client(
    request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> ClientInfo:
    return client_info(request, settings.forwarded_allow_ips)


async def get_mailer(request: Request) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


async def get_two_factor_keys(request: Request) -> TwoFactorKeys:
    keys: TwoFactorKeys = request.app.state.two_factor_keys
    return keys


async def get_session_keys(request: Request) -> SessionKeys:
    keys: SessionKeys = request.app.state.session_keys
    return keys


AppSettings = Annotated[Settings, Depends(get_settings)]
Client = Annotated[ClientInfo, Depends(get_client)]
Tokens = Annotated[TokenService, Depends(get_token_service)]
AppMailer = Annotated[Mailer, Depends(get_mailer)]
Keys = Annotated[TwoFactorKeys, Depends(get_two_factor_keys)]
AppSessionKeys = Annotated[SessionKeys, Depends(get_session_keys)]
