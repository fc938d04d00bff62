"""The portal's request context: the signed-in portal account, the organisation it works for
(chosen among its active memberships, kept in the session) and the guard every portal page
uses. Whatever a page shows comes through :func:`current_access`, so the organisation and the
member's restrictions are applied in one place."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, session, url_for
from flask_login import current_user

from engine.portal.access import PortalAccess, access_for
from engine.portal.models import PortalFunction
from webapp.auth.identity import login_manager
from webapp.context import db_session

F = TypeVar("F", bound=Callable[..., Any])

ORGANISATION_KEY = "portal_organisation"

# Checks run, in order, before a portal page that shows an organisation's data; each returns
# None to go on or a response (e.g. the terms page). Registered by the areas that need them.
GATES: list[Callable[[], Any]] = []


def is_portal_account() -> bool:
    return bool(current_user.is_authenticated and current_user.user.is_portal)


def chosen_organisation_id() -> int | None:
    value = session.get(ORGANISATION_KEY)
    return value if isinstance(value, int) else None


def choose_organisation(organisation_id: int | None) -> None:
    if organisation_id is None:
        session.pop(ORGANISATION_KEY, None)
    else:
        session[ORGANISATION_KEY] = organisation_id
    g.pop("portal_access", None)


def current_access() -> PortalAccess | None:
    """The signed-in account's access in the chosen organisation (None: none chosen, or no longer
    an active member, e.g. refused or removed since it was chosen)."""
    if "portal_access" not in g:
        organisation_id = chosen_organisation_id()
        g.portal_access = (access_for(db_session(), current_user.id, organisation_id)
                           if organisation_id is not None and is_portal_account() else None)
    return g.portal_access


def account_required(view: F) -> F:
    """A signed-in portal account (pages about the account itself: profile, organisations)."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        refused = _refuse_non_portal()
        return refused if refused is not None else view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def _refuse_non_portal() -> Any:
    """Sign in first (anonymous) or 403 (a staff account: staff work in the back office)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.user.is_portal:
        abort(403)
    return None


def portal_required(function: PortalFunction | None = None, *, manager: bool = False) -> Callable[[F], F]:
    """A portal page with an organisation's data: a portal account, an active membership in the
    chosen organisation, the gates passed (terms accepted), and, when given, the function not
    withheld from the member / the member a manager."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            refused = _refuse_non_portal()
            if refused is not None:
                return refused
            access = current_access()
            if access is None:
                choose_organisation(None)
                return redirect(url_for("portal.organisations"))
            for gate in GATES:
                response = gate()
                if response is not None:
                    return response
            if manager and not access.is_manager:
                abort(403)
            if function is not None and not access.may(function):
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
