"""Users with a balance and a live session, made directly in the database
(not through /auth), and small helpers for reading their ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from auth_tables.tables import Role, Session, User
from credit_tables.tables import Balance, Transaction
from mana_core_auth.credits.balances import open_balance
from mana_core_auth.security.tokens import hash_token, new_refresh_token
from mana_core_auth.settings import Settings

USE = "/api/v1/credits/use"
BALANCE = "/api/v1/credits/balance"


@dataclass(frozen=True)
class CreditUser:
    id: uuid.UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def main_app() -> Any:
    """The service's Starlette app (the `app` fixture wraps it)."""
    from main import app

    return app


def main_api() -> Any:
    """The FastAPI app mounted at `/api/v1` in the service's app."""
    from starlette.routing import Mount

    [api] = [
        route.app
        for route in main_app().routes
        if isinstance(route, Mount) and route.path == "/api/v1"
    ]
    return api


async def create_user(
    *,
    signup_bonus: int | None = None,
    daily_free: int | None = None,
    role: Role = Role.user,
    with_balance: bool = True,
) -> CreditUser:
    """A user with a balance opened as registration opens it (signup bonus
    as free credits), a live session and an access token for it."""
    app = main_app()
    settings: Settings = app.state.settings
    if signup_bonus is not None:
        settings = settings.model_copy(update={"credits_signup_bonus": signup_bonus})
    if daily_free is not None:
        settings = settings.model_copy(update={"credits_daily_free": daily_free})
    email = f"credits-{uuid.uuid4().hex[:12]}@example.com"
    user = User(email=email, role=role)
    now = datetime.now(UTC)
    session = Session(
        user=user.id,
        family_id=uuid.uuid4(),
        refresh_token_hash=hash_token(new_refresh_token()),
        refresh_token_expires_at=now + timedelta(days=7),
        expires_at=now + timedelta(days=7),
    )
    async with User._meta.db.transaction():
        await User.insert(user)
        if with_balance:
            await open_balance(user.id, settings)
        await Session.insert(session)
    token = app.state.tokens.issue_access_token(
        user_id=user.id,
        email=email,
        role=role.value,
        session_id=session.family_id,
        device_id=None,
        email_verified=True,
    )
    return CreditUser(id=user.id, email=email, token=token)


async def balance_row(user_id: uuid.UUID) -> dict[str, Any]:
    row = await Balance.select().where(Balance.user == user_id).first()
    assert row is not None
    return row


async def ledger(user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The user's completed ledger rows, oldest first."""
    return await (
        Transaction.select()
        .where(Transaction.user == user_id)
        .order_by(Transaction.balance_version)
        .output(load_json=True)
    )


async def move_last_daily_grant(user_id: uuid.UUID, days: int) -> None:
    """Pretend the last daily grant was `days` days ago."""
    await Balance.update(
        {Balance.last_daily_reset_at: datetime.now(UTC) - timedelta(days=days)}
    ).where(Balance.user == user_id)
