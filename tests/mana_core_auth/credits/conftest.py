from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from auth_tables.tables import Role
from mana_core_auth.credits.ledger import utc_now
from mana_core_auth.settings import Settings
from tests.mana_core_auth.credits.support import CreditUser, create_user, main_app


@pytest.fixture
async def user(app: Any) -> CreditUser:
    """A new user with the default signup bonus (150 free credits)."""
    return await create_user()


@pytest.fixture
async def service(app: Any) -> CreditUser:
    """Another app's backend, calling with a `service` token."""
    return await create_user(role=Role.service, with_balance=False)


@pytest.fixture
def settings(app: Any) -> Settings:
    """The running app's settings."""
    return main_app().state.settings


@pytest.fixture
def now() -> datetime:
    return utc_now()
