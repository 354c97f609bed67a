"""The admin's table endpoints: Piccolo API's CRUD with three differences.

- Columns marked `secret=True` (password and token hashes, TOTP secrets,
  backup codes) are in no answer at all, not even as `null`: not in the
  schema, the rows, a single row, a new row or a PATCH answer; they cannot
  be selected, filtered or sorted by, and a write that names one is refused.
  What the browser never receives, its form cannot send back empty.
- Fields are named by column name (`user`), as the admin's front end and the
  rows use them. Piccolo's pydantic models alias a column with its own
  `db_column_name` (`user_id`), so the schema lacked `user` and the list
  view crashed on it (`isBoolean` of an undefined property).
- A PATCH writes only what differs from the stored row, compared at the
  precision the form shows (timestamps to the second): saving an unchanged
  row issues no UPDATE, so it changes nothing, not even `updated_at`.

Every successful write records an `admin_write` security event with the
admin's username, in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import asyncpg
import piccolo_admin.endpoints
import pydantic
from piccolo.columns import JSON, JSONB, Column, Text, Varchar
from piccolo.columns.column_types import Timestamp, Timestamptz
from piccolo.utils.pydantic import create_pydantic_model
from piccolo_api.crud.endpoints import ParamException, Params, PiccoloCRUD
from piccolo_api.crud.exceptions import db_exception_handler
from piccolo_api.crud.validators import apply_validators
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth_tables.tables import User
from mana_core_auth.studio.audit import record_admin_write

# Rows come from the database keyed by `db_column_name`, requests keyed by
# column name: the models accept both.
_BY_NAME = pydantic.ConfigDict(validate_by_name=True, validate_by_alias=True)


def _refusal(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status_code)


class _Refused(Exception):
    """Leaves the write's transaction (rolled back) with this answer."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _json_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def unchanged(column: Column, stored: Any, submitted: Any) -> bool:
    """Whether `submitted`, as the admin's form sends a value it showed,
    means the stored value."""
    if isinstance(column, (Timestamptz, Timestamp)) and None not in (
        stored,
        submitted,
    ):
        # The form shows and sends whole seconds.
        return bool(_seconds(stored) == _seconds(submitted))
    if isinstance(column, (JSON, JSONB)):
        return bool(_json_value(stored) == _json_value(submitted))
    if isinstance(column, (Varchar, Text)) and stored is None and submitted == "":
        return True  # an empty text box shows NULL
    return bool(stored == submitted)


class AdminCRUD(PiccoloCRUD):
    def __init__(self, table: Any, *args: Any, **kwargs: Any) -> None:
        columns = table._meta.columns
        self.secret_columns = tuple(c for c in columns if c._meta.secret)
        self.shown_columns = tuple(c for c in columns if not c._meta.secret)
        super().__init__(table, *args, **kwargs)

    # Models ##################################################################

    def _without_secrets(self, columns: tuple[Column, ...]) -> tuple[Column, ...]:
        shown = tuple(c for c in columns if not c._meta.secret)
        return shown or self.shown_columns

    @property
    def pydantic_model(self) -> type[pydantic.BaseModel]:
        return create_pydantic_model(
            self.table,
            model_name=f"{self.table.__name__}In",
            exclude_columns=(self.table._meta.primary_key, *self.secret_columns),
            json_schema_extra={"extra": self.schema_extra},
            pydantic_config=_BY_NAME,
        )

    @property
    def pydantic_model_optional(self) -> type[pydantic.BaseModel]:
        return create_pydantic_model(
            self.table,
            include_default_columns=True,
            exclude_columns=self.secret_columns,
            all_optional=True,
            model_name=f"{self.table.__name__}Optional",
            pydantic_config=_BY_NAME,
        )

    @property
    def pydantic_model_filters(self) -> type[pydantic.BaseModel]:
        return create_pydantic_model(
            self.table,
            include_default_columns=True,
            exclude_columns=self.secret_columns,
            all_optional=True,
            model_name=f"{self.table.__name__}Filters",
            pydantic_config=_BY_NAME,
        )

    def _pydantic_model_output(
        self,
        include_readable: bool = False,
        include_columns: tuple[Column, ...] = (),
        nested: Any = False,
    ) -> type[pydantic.BaseModel]:
        return create_pydantic_model(
            self.table,
            include_default_columns=True,
            include_readable=include_readable,
            include_columns=self._without_secrets(include_columns),
            model_name=f"{self.table.__name__}Output",
            nested=nested,
            pydantic_config=_BY_NAME,
        )

    def pydantic_model_plural(
        self,
        include_readable: bool = False,
        include_columns: tuple[Column, ...] = (),
        nested: Any = False,
    ) -> type[pydantic.BaseModel]:
        item = self._pydantic_model_output(include_readable, include_columns, nested)
        return pydantic.create_model(
            f"{self.table.__name__}Plural",
            __config__=pydantic.ConfigDict(arbitrary_types_allowed=True),
            rows=(list[item], None),  # type: ignore[valid-type]
        )

    # Reading #################################################################

    @apply_validators
    async def get_schema(self, request: Request) -> JSONResponse:
        return JSONResponse(self.pydantic_model.model_json_schema(by_alias=False))

    @apply_validators
    async def get_ids(self, request: Request) -> Response:
        """Row ids mapped to their readable form (foreign key pickers). The
        base version reads the id by column name, while the row holds it by
        `db_column_name`: a KeyError for tables keyed by `user`."""
        query = self.table.select(
            self.table._meta.primary_key.as_alias("pk"), self.table.get_readable()
        )
        params = request.query_params
        try:
            limit = int(params["limit"]) if "limit" in params else None
            offset = int(params.get("offset", 0))
        except ValueError:
            return Response("The limit and offset must be integers", status_code=400)
        if "search" in params:
            # Only the search term comes from the request, as a parameter;
            # limit and offset are integers.
            sql = (
                f"SELECT * FROM ({query}) AS subquery "  # noqa: S608
                "WHERE subquery.readable ILIKE {} "
                f"LIMIT {limit if limit is not None else 'ALL'} OFFSET {offset}"
            )
            rows = await self.table.raw(sql, f"%{params['search']}%")
        else:
            if limit is not None:
                query = query.limit(limit)
            rows = await query.offset(offset)
        return JSONResponse({str(row["pk"]): row["readable"] for row in rows})

    def _get_column(self, column_name: str) -> Column:
        column: Column = super()._get_column(column_name)
        if column._meta.secret:
            raise ValueError(f"{column_name} is never shown in the admin")
        return column

    def _split_params(self, params: dict[str, Any]) -> Params:
        try:
            return super()._split_params(params)
        except ValueError as error:  # an unknown or secret `__order` column
            raise ParamException(str(error)) from error

    # Writing #################################################################

    def _refuse_secrets(self, data: dict[str, Any]) -> JSONResponse | None:
        named = sorted(
            column._meta.name
            for column in self.secret_columns
            if column._meta.name in data or column._meta.db_column_name in data
        )
        if named:
            return _refusal(
                422,
                f"{', '.join(named)} cannot be written from the admin; "
                "the service sets it",
            )
        return None

    def _affected_user(self, row_id: Any) -> uuid.UUID | None:
        return row_id if self.table is User else None

    async def _current_row(self, row_id: Any) -> dict[str, Any] | None:
        row: dict[str, Any] | None = (
            await self.table.select(*self.shown_columns)
            .where(self.table._meta.primary_key == row_id)
            .first()
        )
        return row

    @apply_validators
    @db_exception_handler
    async def post_single(self, request: Request, data: dict[str, Any]) -> Response:
        if (refusal := self._refuse_secrets(data)) is not None:
            return refusal
        try:
            async with self.table._meta.db.transaction():
                response = await super().post_single(request, data)
                if response.status_code != 201:
                    raise _Refused(response)
                created = json.loads(bytes(response.body))
                row_id = created[0].get(self.table._meta.primary_key._meta.name)
                await record_admin_write(
                    request,
                    action="create",
                    table=self.table._meta.tablename,
                    row=str(row_id),
                    columns=sorted(data),
                    user_id=self._affected_user(row_id),
                )
        except _Refused as refused:
            return refused.response
        return response

    @apply_validators
    @db_exception_handler
    async def put_single(
        self, request: Request, row_id: Any, data: dict[str, Any]
    ) -> Response:
        return await self._update(request, row_id, data)

    @apply_validators
    @db_exception_handler
    async def patch_single(
        self, request: Request, row_id: Any, data: dict[str, Any]
    ) -> Response:
        return await self._update(request, row_id, data)

    async def _update(
        self, request: Request, row_id: Any, data: dict[str, Any]
    ) -> Response:
        if (refusal := self._refuse_secrets(data)) is not None:
            return refusal
        try:
            columns = {key: self.table._meta.get_column_by_name(key) for key in data}
        except ValueError:
            return _refusal(400, f"Unrecognised keys - {sorted(data)}")
        try:
            model = self.pydantic_model_optional(**self._clean_data(data))
        except pydantic.ValidationError as error:
            return Response(str(error), status_code=400)

        try:
            async with self.table._meta.db.transaction():
                stored = await self._write_changes(request, row_id, columns, model)
        except _Refused as refused:
            return refused.response
        return Response(
            self.pydantic_model(**(stored or {})).model_dump_json(),
            media_type="application/json",
        )

    async def _write_changes(
        self,
        request: Request,
        row_id: Any,
        columns: dict[str, Column],
        model: pydantic.BaseModel,
    ) -> dict[str, Any]:
        stored = await self._current_row(row_id)
        if stored is None:
            raise _Refused(Response("The resource doesn't exist", status_code=404))
        changed = [
            key
            for key, column in columns.items()
            if not unchanged(
                column, stored[column._meta.db_column_name], getattr(model, key)
            )
        ]
        if not changed:
            return stored
        if any(columns[key]._meta.primary_key for key in changed):
            raise _Refused(_refusal(422, "The primary key cannot be changed"))
        changes: dict[Column | str, Any] = {
            columns[key]: getattr(model, key) for key in changed
        }
        try:
            await self.table.update(changes).where(
                self.table._meta.primary_key == row_id
            )
        except asyncpg.IntegrityConstraintViolationError as error:
            raise _Refused(
                _refusal(422, f"The database refused it: {error}")
            ) from error
        await record_admin_write(
            request,
            action="update",
            table=self.table._meta.tablename,
            row=str(row_id),
            columns=sorted(changed),
            user_id=self._affected_user(row_id),
        )
        return await self._current_row(row_id) or stored

    @apply_validators
    @db_exception_handler
    async def delete_single(self, request: Request, row_id: Any) -> Response:
        try:
            async with self.table._meta.db.transaction():
                response = await super().delete_single(request, row_id)
                if response.status_code != 204:
                    raise _Refused(response)
                await record_admin_write(
                    request,
                    action="delete",
                    table=self.table._meta.tablename,
                    row=str(row_id),
                    user_id=self._affected_user(row_id),
                )
        except _Refused as refused:
            return refused.response
        return response


@contextmanager
def admin_crud() -> Iterator[None]:
    """Make `create_admin` build its table endpoints with `AdminCRUD`.

    piccolo_admin constructs `PiccoloCRUD` by its module-level name and takes
    no class to use instead; the name is swapped only while the admin is
    built (synchronously, at start-up)."""
    original = piccolo_admin.endpoints.PiccoloCRUD
    piccolo_admin.endpoints.PiccoloCRUD = AdminCRUD  # type: ignore[misc]
    try:
        yield
    finally:
        piccolo_admin.endpoints.PiccoloCRUD = original  # type: ignore[misc]
