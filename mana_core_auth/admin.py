"""Piccolo Admin for operators: every table, secrets never shown.

Only `users` and `packages` are edited as tables; every other table is
written by the service alone (ledger, balances, passwords, sessions, tokens,
two-factor enrolments, rate-limit counters, security events, mail), and
operators change those through the forms, which write the ledger and a
security event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from piccolo.columns import Column
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.crud.endpoints import OrderBy, PiccoloCRUD
from piccolo_api.crud.validators import Validators
from piccolo_api.rate_limiting.middleware import RateLimitProvider
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp

from auth_tables.tables import (
    Account,
    ApiKey,
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
    StripeEvent,
    Transaction,
    UsageStat,
)
from mana_core_auth.api_keys.admin import api_key_forms
from mana_core_auth.credits.admin_forms import credit_forms
from mana_core_auth.guilds.admin import POOL_READ_ONLY
from mana_core_auth.settings import Settings
from mana_core_auth.studio.crud import admin_crud
from mana_core_auth.studio.forms import audited, reset_two_factor_form
from mana_core_auth.studio.gate import AdminGate
from mana_core_auth.studio.two_factor import admin_two_factor_provider

ACCOUNTS = "Accounts"
CREDITS = "Credits"
GUILDS = "Guilds"


def _newest_first(column: Column) -> list[OrderBy]:
    return [OrderBy(column, ascending=False)]


def _refusal(detail: str) -> Callable[[PiccoloCRUD, Request], None]:
    def refuse(piccolo_crud: PiccoloCRUD, request: Request) -> None:
        raise HTTPException(status_code=405, detail=detail)

    return refuse


def read_only(detail: str) -> Validators:
    refuse = _refusal(detail)
    return Validators(
        post_single=[refuse],
        put_single=[refuse],
        patch_single=[refuse],
        delete_single=[refuse],
        delete_all=[refuse],
    )


# A hand edit of a balance or a ledger row would break "balance = sum of the
# ledger"; the credit forms write both together.
LEDGER_READ_ONLY = read_only(
    "Balances and ledger rows change only through the Grant credits and "
    "Refund forms, so that every change has its ledger row."
)
SERVICE_READ_ONLY = read_only(
    "Only the service writes this table; operators use the forms "
    "(Reset two-factor, Grant credits, Refund usage)."
)
# Users are deleted softly (`deleted_at`): a deleted row would take its
# ledger with it.
USERS_NOT_DELETED = Validators(
    delete_single=[_refusal("Users are not deleted; set Deleted At instead.")],
    delete_all=[_refusal("Users are not deleted; set Deleted At instead.")],
)


def table_config(
    table: type[Table],
    *,
    group: str,
    validators: Validators | None = SERVICE_READ_ONLY,
    visible: Sequence[Column] | None = None,
    hidden: Sequence[Column] = (),
    filters: Sequence[Column] | None = None,
    order_by: list[OrderBy] | None = None,
    link: Column | None = None,
) -> TableConfig:
    """A table's admin view. Secret columns are never listed, and a primary
    key only as the link to the row, never as a filter: the front end knows
    only the columns of the table's schema, which has neither."""
    primary_key = table._meta.primary_key
    link_name = (link or primary_key)._meta.name
    hidden_names = {column._meta.name for column in hidden}

    def shown(columns: Sequence[Column], *, link_name: str | None) -> list[Column]:
        return [
            column
            for column in columns
            if not column._meta.secret
            and column._meta.name not in hidden_names
            and (column is not primary_key or link_name == column._meta.name)
        ]

    return TableConfig(
        table,
        visible_columns=shown(visible or table._meta.columns, link_name=link_name),
        visible_filters=shown(filters or table._meta.columns, link_name=None)
        or shown(table._meta.columns, link_name=None),
        order_by=order_by,
        link_column=link,
        validators=validators,
        menu_group=group,
    )


def table_configs() -> list[TableConfig]:
    return [
        table_config(
            User,
            group=ACCOUNTS,
            validators=USERS_NOT_DELETED,
            visible=[
                User.email,
                User.name,
                User.role,
                User.email_verified,
                User.created_at,
                User.deleted_at,
            ],
            filters=[User.email, User.name, User.role, User.deleted_at],
            order_by=_newest_first(User.created_at),
            link=User.email,
        ),
        table_config(
            Session,
            group=ACCOUNTS,
            hidden=[Session.user_agent],
            filters=[Session.user, Session.family_id, Session.revoked_at],
            order_by=_newest_first(Session.created_at),
        ),
        table_config(Password, group=ACCOUNTS),
        table_config(Account, group=ACCOUNTS),
        table_config(
            VerificationToken,
            group=ACCOUNTS,
            filters=[VerificationToken.user, VerificationToken.type],
            order_by=_newest_first(VerificationToken.created_at),
        ),
        table_config(TwoFactorAuth, group=ACCOUNTS),
        table_config(
            SecurityEvent,
            group=ACCOUNTS,
            filters=[SecurityEvent.user, SecurityEvent.event_type],
            order_by=_newest_first(SecurityEvent.created_at),
        ),
        table_config(RateLimitCounter, group=ACCOUNTS),
        table_config(
            # Mail kept instead of sent (no SMTP_HOST); its links work, so
            # only operators see it.
            OutboxMessage,
            group=ACCOUNTS,
            visible=[
                OutboxMessage.created_at,
                OutboxMessage.recipient,
                OutboxMessage.subject,
            ],
            filters=[OutboxMessage.recipient],
            order_by=_newest_first(OutboxMessage.created_at),
            link=OutboxMessage.subject,
        ),
        table_config(
            Balance,
            group=CREDITS,
            validators=LEDGER_READ_ONLY,
            order_by=_newest_first(Balance.updated_at),
        ),
        table_config(
            Transaction,
            group=CREDITS,
            validators=LEDGER_READ_ONLY,
            hidden=[Transaction.request_fingerprint],
            filters=[
                Transaction.user,
                Transaction.type,
                Transaction.status,
                Transaction.app_id,
            ],
            order_by=_newest_first(Transaction.created_at),
        ),
        table_config(
            Package,
            group=CREDITS,
            validators=None,
            order_by=[OrderBy(Package.sort_order)],
            link=Package.name,
        ),
        table_config(
            Purchase,
            group=CREDITS,
            filters=[Purchase.user, Purchase.status],
            order_by=_newest_first(Purchase.created_at),
        ),
        table_config(
            UsageStat,
            group=CREDITS,
            filters=[UsageStat.user, UsageStat.app_id, UsageStat.date],
            order_by=_newest_first(UsageStat.date),
        ),
        table_config(
            # What Stripe reported and what each event did; written only
            # by the webhook.
            StripeEvent,
            group=CREDITS,
            hidden=[StripeEvent.payload],
            filters=[StripeEvent.type, StripeEvent.purchase, StripeEvent.processed_at],
            order_by=_newest_first(StripeEvent.received_at),
        ),
        table_config(
            ApiKey,
            group=ACCOUNTS,
            visible=[
                ApiKey.kind,
                ApiKey.name,
                ApiKey.app_id,
                ApiKey.user,
                ApiKey.prefix,
                ApiKey.scopes,
                ApiKey.created_at,
                ApiKey.last_used_at,
                ApiKey.expires_at,
                ApiKey.revoked_at,
            ],
            filters=[ApiKey.kind, ApiKey.app_id, ApiKey.user, ApiKey.revoked_at],
            order_by=_newest_first(ApiKey.created_at),
            link=ApiKey.name,
        ),
        table_config(
            Guild,
            group=GUILDS,
            filters=[Guild.name, Guild.slug, Guild.created_by],
            order_by=_newest_first(Guild.created_at),
            link=Guild.name,
        ),
        table_config(
            GuildMember,
            group=GUILDS,
            filters=[GuildMember.guild, GuildMember.user, GuildMember.role],
            order_by=_newest_first(GuildMember.created_at),
        ),
        table_config(
            GuildInvitation,
            group=GUILDS,
            filters=[GuildInvitation.guild, GuildInvitation.email],
            order_by=_newest_first(GuildInvitation.created_at),
        ),
        table_config(
            GuildPool,
            group=GUILDS,
            validators=POOL_READ_ONLY,
            order_by=_newest_first(GuildPool.updated_at),
        ),
        table_config(
            GuildMemberLimit,
            group=GUILDS,
            validators=POOL_READ_ONLY,
            filters=[GuildMemberLimit.guild, GuildMemberLimit.user],
            order_by=_newest_first(GuildMemberLimit.updated_at),
        ),
        table_config(
            GuildPoolTransaction,
            group=GUILDS,
            validators=POOL_READ_ONLY,
            hidden=[GuildPoolTransaction.request_fingerprint],
            filters=[
                GuildPoolTransaction.guild,
                GuildPoolTransaction.user,
                GuildPoolTransaction.type,
            ],
            order_by=_newest_first(GuildPoolTransaction.created_at),
        ),
    ]


class _NoLimit(RateLimitProvider):
    """Stands in for piccolo_admin's per-process login limiter: the gate
    counts logins in PostgreSQL instead."""

    def increment(self, identifier: str) -> None:
        return None


def build_admin(settings: Settings) -> ASGIApp:
    mfa_provider = admin_two_factor_provider(settings)
    with admin_crud():
        admin = create_admin(
            tables=table_configs(),
            forms=[
                *(
                    audited(form)
                    for form in credit_forms(settings) + api_key_forms(settings)
                ),
                reset_two_factor_form(settings),
            ],
            site_name="Mana Core Auth",
            production=not settings.is_development,
            allowed_hosts=settings.admin_allowed_hosts,
            rate_limit_provider=_NoLimit(),
            mfa_providers=[mfa_provider],
        )
    gate = AdminGate(admin, settings, mfa_provider)
    if not settings.admin_allowed_hosts:
        return gate
    # piccolo_admin uses `allowed_hosts` only to check the Referer of HTTPS
    # writes (CSRF); any Host was answered.
    return TrustedHostMiddleware(gate, allowed_hosts=settings.admin_allowed_hosts)
