"""Bearer-token authentication and role checks for /api.

Every /api request is authenticated before its view runs (deny by default); only views marked
public (the OpenAPI document, the catch-all 404/405) skip it. The user is kept as a plain
:class:`Principal`, not an ORM object, so that a rolled-back command cannot expire it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, g, request

from engine.access.models import Role, User
from engine.access.users import user_for_token
from webapp.api import api_bp
from webapp.api.errors import ApiError
from webapp.context import db_session

REALM = "guichet"

# Who may call what. The administrator passes every check (as in User.has_role).
STAFF: frozenset[Role] = frozenset(Role)  # any back-office role
TASK_WORKERS: frozenset[Role] = frozenset({Role.CASE_WORKER, Role.DISPATCHER, Role.MANAGER})
MESSAGE_SENDERS: frozenset[Role] = TASK_WORKERS | {Role.INTEGRATION}
STARTERS: frozenset[Role] = frozenset({Role.PROCESS_DESIGNER})
MANAGERS: frozenset[Role] = frozenset({Role.MANAGER})


@dataclass(frozen=True)
class Principal:
    id: int
    email: str
    name: str
    roles: frozenset[Role]
    locale: str | None

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(id=user.id, email=user.email, name=user.name, roles=user.roles, locale=user.locale)

    def has_role(self, *roles: Role) -> bool:
        return Role.ADMINISTRATOR in self.roles or any(r in self.roles for r in roles)


def _unauthorized(message: str, error: str | None = None) -> ApiError:
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    return ApiError(401, message, headers={"WWW-Authenticate": challenge})


def _is_public() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "_api_public", False))


@api_bp.before_request
def authenticate() -> None:
    if _is_public():
        return
    header = request.headers.get("Authorization", "")
    if not header:
        raise _unauthorized("This endpoint needs an API token: send 'Authorization: Bearer <token>'. "
                            "An administrator creates tokens with 'guichet tokens create'.")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("The Authorization header must be 'Bearer <token>'.", "invalid_request")
    session = db_session()
    if session.in_transaction():  # e.g. an app-wide hook already read something
        session.commit()
    with session.begin():  # records last_used_at
        user = user_for_token(session, token)
        principal = Principal.of(user) if user is not None else None
    if principal is None:
        raise _unauthorized("This API token is unknown, revoked, or belongs to a deactivated account.",
                            "invalid_token")
    g.api_principal = principal
    _refuse_ids_beyond_any_row()


def _refuse_ids_beyond_any_row() -> None:
    """A path id larger than any row id (32-bit in the database) finds nothing: answer 404 here,
    since the database would overflow on it (a 500; found by tests/webapp/api/test_fuzz.py).
    Checked once the token is accepted, so an anonymous caller still gets 401."""
    from webapp.api.schemas import MAX_ID

    for value in (request.view_args or {}).values():
        if isinstance(value, int) and value > MAX_ID:
            raise ApiError(404, "Not found: no resource has this id.")


def current_principal() -> Principal:
    principal: Principal | None = g.get("api_principal")
    if principal is None:  # a view reached without authentication: never answer it
        raise _unauthorized("Not authenticated.")
    return principal


def require_roles(roles: Iterable[Role]) -> Principal:
    principal = current_principal()
    wanted = tuple(roles)
    if not principal.has_role(*wanted):
        names = ", ".join(sorted(r.value for r in wanted)) or "none"
        raise ApiError(403, f"Your account may not do this; it needs one of the roles: {names} "
                            "(or administrator).")
    return principal
