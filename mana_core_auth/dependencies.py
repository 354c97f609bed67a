"""What every route takes from the app it runs in: its settings, the token
service and who the client is. Read from the app's state, never from the
environment, so that apps with other settings can share a process. Async on
purpose: FastAPI runs plain `def` dependencies in a thread pool, a hand-off
that costs more than these lookups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mana_core_auth.auth.client_ip import ClientInfo, client_info
from mana_core_auth.security.tokens import TokenService
from mana_core_auth.settings import Settings


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_token_service(request: Request) -> TokenService:
    tokens: TokenService = request.app.state.tokens
    return tokens


async def get_client(
    request: Request, settings: Annotated[Settings, Depends(get_app_settings)]
) -> ClientInfo:
    return client_info(request, settings.forwarded_allow_ips)


AppSettings = Annotated[Settings, Depends(get_app_settings)]
Tokens = Annotated[TokenService, Depends(get_token_service)]
Client = Annotated[ClientInfo, Depends(get_client)]
