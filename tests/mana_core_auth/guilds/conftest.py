from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.settings import Settings
from tests.mana_core_auth.credits.support import main_app
from tests.mana_core_auth.guilds.support import GuildFixture, guild_with_everyone


@pytest.fixture
async def guild(client: Any) -> GuildFixture:
    """A guild with an owner, an admin and a member, and a user outside it;
    each with the default signup bonus (150 free credits)."""
    return await guild_with_everyone(client)


@pytest.fixture
def settings(app: Any) -> Settings:
    """The running app's settings."""
    return main_app().state.settings


@pytest.fixture
def now() -> datetime:
    return utc_now()
