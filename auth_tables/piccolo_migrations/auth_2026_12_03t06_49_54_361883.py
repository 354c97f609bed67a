from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.constraints import Unique
from piccolo.table import Table


class Guild(Table, tablename="guilds", schema="auth"):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


class User(Table, tablename="users", schema="auth"):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-12-03T06:49:54:361883"
VERSION = "1.38.0"
DESCRIPTION = "guilds, members and invitations"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="auth", description=DESCRIPTION
    )

    manager.add_table(
        class_name="GuildMember",
        tablename="guild_members",
        schema="auth",
        columns=None,
    )

    manager.add_table(
        class_name="GuildInvitation",
        tablename="guild_invitations",
        schema="auth",
        columns=None,
    )

    manager.add_table(
        class_name="Guild", tablename="guilds", schema="auth", columns=None
    )

    manager.add_column(
        table_class_name="GuildMember",
        tablename="guild_members",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildMember",
        tablename="guild_members",
        column_name="guild",
        db_column_name="guild_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Guild,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "guild_id",
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildMember",
        tablename="guild_members",
        column_name="user",
        db_column_name="user_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "user_id",
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildMember",
        tablename="guild_members",
        column_name="role",
        db_column_name="role",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "member",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "GuildRole",
                {"owner": "owner", "admin": "admin", "member": "member"},
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildMember",
        tablename="guild_members",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildMember",
        tablename="guild_members",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="guild",
        db_column_name="guild_id",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Guild,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "guild_id",
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="email",
        db_column_name="email",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="role",
        db_column_name="role",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "member",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "GuildRole",
                {"owner": "owner", "admin": "admin", "member": "member"},
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="token_hash",
        db_column_name="token_hash",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="invited_by",
        db_column_name="invited_by",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "invited_by",
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="expires_at",
        db_column_name="expires_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="accepted_at",
        db_column_name="accepted_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="accepted_by",
        db_column_name="accepted_by",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "accepted_by",
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        column_name="revoked_at",
        db_column_name="revoked_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="Guild",
        tablename="guilds",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="Guild",
        tablename="guilds",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="Guild",
        tablename="guilds",
        column_name="slug",
        db_column_name="slug",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="Guild",
        tablename="guilds",
        column_name="created_by",
        db_column_name="created_by",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": "created_by",
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="Guild",
        tablename="guilds",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_column(
        table_class_name="Guild",
        tablename="guilds",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="auth",
    )

    manager.add_constraint(
        table_class_name="GuildMember",
        tablename="guild_members",
        constraint_name="guild_members_guild_user_unique",
        constraint_class=Unique,
        params={"columns": ["guild_id", "user_id"], "nulls_distinct": True},
        schema="auth",
    )

    manager.add_constraint(
        table_class_name="GuildMember",
        tablename="guild_members",
        constraint_name="guild_members_role_check",
        constraint_class=Check,
        params={"condition": "role IN ('owner', 'admin', 'member')"},
        schema="auth",
    )

    manager.add_constraint(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        constraint_name="guild_invitations_email_lower_check",
        constraint_class=Check,
        params={"condition": "email = lower(btrim(email))"},
        schema="auth",
    )

    manager.add_constraint(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        constraint_name="guild_invitations_role_check",
        constraint_class=Check,
        params={"condition": "role IN ('owner', 'admin', 'member')"},
        schema="auth",
    )

    manager.add_constraint(
        table_class_name="GuildInvitation",
        tablename="guild_invitations",
        constraint_name="guild_invitations_accepted_or_revoked",
        constraint_class=Check,
        params={"condition": "accepted_at IS NULL OR revoked_at IS NULL"},
        schema="auth",
    )

    manager.add_constraint(
        table_class_name="Guild",
        tablename="guilds",
        constraint_name="guilds_slug_format",
        constraint_class=Check,
        params={"condition": "slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'"},
        schema="auth",
    )

    manager.add_constraint(
        table_class_name="Guild",
        tablename="guilds",
        constraint_name="guilds_name_not_blank",
        constraint_class=Check,
        params={"condition": "btrim(name) <> '' AND name !~ '[[:cntrl:]]'"},
        schema="auth",
    )

    return manager
