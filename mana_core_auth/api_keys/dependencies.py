"""The key hasher of the app a route runs in (built once, in `build_api`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mana_core_auth.api_keys.keys import KeyHasher


async def get_key_hasher(request: Request) -> KeyHasher:
    hasher: KeyHasher = request.app.state.api_key_hasher
    return hasher


AppKeyHasher = Annotated[KeyHasher, Depends(get_key_hasher)]
