"""What auth routes take from the app they run in, beyond the app-wide
dependencies (`mana_core_auth.dependencies`): the mailer, the two-factor
keys and the session keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mana_core_auth.email.mailer import Mailer
from mana_core_auth.security.session_keys import SessionKeys
from mana_core_auth.security.two_factor_keys import TwoFactorKeys


async def get_mailer(request: Request) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


async def get_two_factor_keys(request: Request) -> TwoFactorKeys:
    keys: TwoFactorKeys = request.app.state.two_factor_keys
    return keys


async def get_session_keys(request: Request) -> SessionKeys:
    keys: SessionKeys = request.app.state.session_keys
    return keys


AppMailer = Annotated[Mailer, Depends(get_mailer)]
AppTwoFactorKeys = Annotated[TwoFactorKeys, Depends(get_two_factor_keys)]
AppSessionKeys = Annotated[SessionKeys, Depends(get_session_keys)]
