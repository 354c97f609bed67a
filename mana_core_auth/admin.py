"""Piccolo Admin for operators: every table, secrets never shown."""

from __future__ import annotations

from piccolo.columns import Column
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.crud.endpoints import OrderBy, PiccoloCRUD
from piccolo_api.crud.validators import Validators
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp

from auth_tables.tables import (
    Account,
    Guild,
    GuildInvitation,
    GuildMember,
    OutboxMessage,
    Password,
    RateLimitCounter,
    SecurityEvent,
    Session,
    TwoFactorAuth,
    User,
    VerificationToken,
)
from credit_tables.tables import (
    Balance,
    GuildMemberLimit,
    GuildPool,
    GuildPoolTransaction,
    Package,
    Purchase,
    Transaction,
    UsageStat,
)
from mana_core_auth.credits.admin_forms import credit_forms
from mana_core_auth.guilds.admin import (
    GUILD_NO_CREATE_OR_DELETE,
    INVITATION_NO_CREATE,
    POOL_READ_ONLY,
)
from mana_core_auth.settings import Settings


def _newest_first(column: Column) -> list[OrderBy]:
    return [OrderBy(column, ascending=False)]


def _refuse_ledger_edits(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    raise HTTPException(
        status_code=405,
        detail="Balances and ledger rows change only through the Grant credits "
        "and Refund forms, so that every change has its ledger row.",
    )


# Balances and the ledger are read-only in the table views: a hand edit would
# break "balance = sum of the ledger"; the credit forms write both together.
LEDGER_READ_ONLY = Validators(
    post_single=[_refuse_ledger_edits],
    put_single=[_refuse_ledger_edits],
    patch_single=[_refuse_ledger_edits],
    delete_single=[_refuse_ledger_edits],
    delete_all=[_refuse_ledger_edits],
)


def table_configs() -> list[TableConfig]:
    accounts = "Accounts"
    credits = "Credits"
    return [
        TableConfig(
            User,
            visible_columns=[
                User.id,
                User.email,
                User.name,
                User.role,
                User.email_verified,
                User.created_at,
                User.deleted_at,
            ],
            visible_filters=[User.email, User.role, User.deleted_at],
            order_by=_newest_first(User.created_at),
            link_column=User.email,
            menu_group=accounts,
        ),
        TableConfig(
            Session,
            exclude_visible_columns=[Session.refresh_token_hash, Session.user_agent],
            visible_filters=[Session.user, Session.family_id, Session.revoked_at],
            order_by=_newest_first(Session.created_at),
            menu_group=accounts,
        ),
        TableConfig(
            Password,
            exclude_visible_columns=[Password.hashed_password],
            menu_group=accounts,
        ),
        TableConfig(
            Account,
            exclude_visible_columns=[
                Account.access_token,
                Account.refresh_token,
                Account.id_token,
            ],
            menu_group=accounts,
        ),
        TableConfig(
            VerificationToken,
            exclude_visible_columns=[VerificationToken.token_hash],
            order_by=_newest_first(VerificationToken.created_at),
            menu_group=accounts,
        ),
        TableConfig(
            TwoFactorAuth,
            exclude_visible_columns=[TwoFactorAuth.secret, TwoFactorAuth.backup_codes],
            menu_group=accounts,
        ),
        TableConfig(
            SecurityEvent,
            visible_filters=[SecurityEvent.user, SecurityEvent.event_type],
            order_by=_newest_first(SecurityEvent.created_at),
            menu_group=accounts,
        ),
        TableConfig(RateLimitCounter, menu_group=accounts),
        TableConfig(
            # Mail kept instead of sent (no SMTP_HOST); its links work, so
            # only operators see it.
            OutboxMessage,
            visible_columns=[
                OutboxMessage.created_at,
                OutboxMessage.recipient,
                OutboxMessage.subject,
            ],
            visible_filters=[OutboxMessage.recipient],
            order_by=_newest_first(OutboxMessage.created_at),
            link_column=OutboxMessage.subject,
            menu_group=accounts,
        ),
        TableConfig(
            Balance,
            validators=LEDGER_READ_ONLY,
            visible_filters=[Balance.user],
            order_by=_newest_first(Balance.updated_at),
            menu_group=credits,
        ),
        TableConfig(
            Transaction,
            validators=LEDGER_READ_ONLY,
            exclude_visible_columns=[Transaction.request_fingerprint],
            visible_filters=[
                Transaction.user,
                Transaction.type,
                Transaction.status,
                Transaction.app_id,
            ],
            order_by=_newest_first(Transaction.created_at),
            menu_group=credits,
        ),
        TableConfig(
            Package,
            order_by=[OrderBy(Package.sort_order)],
            link_column=Package.name,
            menu_group=credits,
        ),
        TableConfig(
            Purchase,
            visible_filters=[Purchase.user, Purchase.status],
            order_by=_newest_first(Purchase.created_at),
            menu_group=credits,
        ),
        TableConfig(
            UsageStat,
            visible_filters=[UsageStat.user, UsageStat.app_id, UsageStat.date],
            order_by=_newest_first(UsageStat.date),
            menu_group=credits,
        ),
        TableConfig(
            Guild,
            validators=GUILD_NO_CREATE_OR_DELETE,
            visible_filters=[Guild.name, Guild.slug, Guild.created_by],
            order_by=_newest_first(Guild.created_at),
            link_column=Guild.name,
            menu_group="Guilds",
        ),
        TableConfig(
            GuildMember,
            visible_filters=[GuildMember.guild, GuildMember.user, GuildMember.role],
            order_by=_newest_first(GuildMember.created_at),
            menu_group="Guilds",
        ),
        TableConfig(
            GuildInvitation,
            validators=INVITATION_NO_CREATE,
            visible_columns=[
                GuildInvitation.id,
                GuildInvitation.guild,
                GuildInvitation.email,
                GuildInvitation.role,
                GuildInvitation.invited_by,
                GuildInvitation.created_at,
                GuildInvitation.expires_at,
                GuildInvitation.accepted_at,
                GuildInvitation.accepted_by,
                GuildInvitation.revoked_at,
            ],
            visible_filters=[GuildInvitation.guild, GuildInvitation.email],
            order_by=_newest_first(GuildInvitation.created_at),
            menu_group="Guilds",
        ),
        TableConfig(
            GuildPool,
            validators=POOL_READ_ONLY,
            order_by=_newest_first(GuildPool.updated_at),
            menu_group="Guilds",
        ),
        TableConfig(
            GuildMemberLimit,
            validators=POOL_READ_ONLY,
            visible_filters=[GuildMemberLimit.guild, GuildMemberLimit.user],
            order_by=_newest_first(GuildMemberLimit.updated_at),
            menu_group="Guilds",
        ),
        TableConfig(
            GuildPoolTransaction,
            validators=POOL_READ_ONLY,
            exclude_visible_columns=[GuildPoolTransaction.request_fingerprint],
            visible_filters=[
                GuildPoolTransaction.guild,
                GuildPoolTransaction.user,
                GuildPoolTransaction.type,
            ],
            order_by=_newest_first(GuildPoolTransaction.created_at),
            menu_group="Guilds",
        ),
    ]


def build_admin(settings: Settings) -> ASGIApp:
    return create_admin(
        tables=table_configs(),
        forms=credit_forms(settings),
        site_name="Mana Core Auth",
        production=not settings.is_development,
        allowed_hosts=settings.admin_allowed_hosts,
    )
