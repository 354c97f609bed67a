"""What the admin's table views may change of guilds and their pools."""

from __future__ import annotations

from collections.abc import Callable

from piccolo_api.crud.endpoints import PiccoloCRUD
from piccolo_api.crud.validators import Validators
from starlette.exceptions import HTTPException
from starlette.requests import Request


def _refusal(detail: str) -> Callable[[PiccoloCRUD, Request], None]:
    def refuse(piccolo_crud: PiccoloCRUD, request: Request) -> None:
        raise HTTPException(status_code=405, detail=detail)

    return refuse


_POOL = _refusal(
    "Guild pools, their ledger and the members' spending counters change only "
    "through the guild API, so that every change has its ledger row."
)
# A hand edit would break "pool = sum of its ledger" (verify_ledger reports it).
POOL_READ_ONLY = Validators(
    post_single=[_POOL],
    put_single=[_POOL],
    patch_single=[_POOL],
    delete_single=[_POOL],
    delete_all=[_POOL],
)

_GUILD = _refusal(
    "Guilds are created through the API (with their pool) and deleted by "
    "their owners once the pool is empty, so that no credits vanish."
)
# Names and slugs may be fixed by hand.
GUILD_NO_CREATE_OR_DELETE = Validators(
    post_single=[_GUILD], delete_single=[_GUILD], delete_all=[_GUILD]
)

_INVITATION = _refusal(
    "Invitations are made through the API, which mails their link; "
    "set revoked_at to revoke one."
)
INVITATION_NO_CREATE = Validators(post_single=[_INVITATION])
