"""Role checks for views: ``@require_roles(Role.MANAGER)``. An administrator passes every check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, redirect, url_for
from flask_login import current_user

from engine.access.models import Role
from webapp.auth.identity import login_manager

F = TypeVar("F", bound=Callable[..., Any])

# Who may do what, by area.
CASE_HANDLERS = (Role.CASE_WORKER, Role.DISPATCHER)  # open dossiers, take and complete tasks
BACK_OFFICE = (Role.CASE_WORKER, Role.DISPATCHER, Role.MANAGER)  # see dossiers and task lists
DESIGNERS = (Role.PROCESS_DESIGNER,)


def check_roles(*roles: Role) -> Any:
    """None when the current user may go on; otherwise the response to send (sign in first) or
    an aborted request (403). Usable as a blueprint ``before_request`` through :func:`roles_guard`."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.user.is_portal:  # portal accounts never enter the back office
        if not roles:
            return redirect(url_for("portal.index"))
        abort(403)
    if roles and not current_user.has_role(*roles):
        abort(403)
    return None


def require_roles(*roles: Role) -> Callable[[F], F]:
    """View decorator: signed in, with one of ``roles`` (any role when none is given)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            refused = check_roles(*roles)
            if refused is not None:
                return refused
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def roles_guard(*roles: Role) -> Callable[[], Any]:
    """A ``before_request`` hook protecting a whole blueprint."""

    def guard() -> Any:
        return check_roles(*roles)

    return guard
