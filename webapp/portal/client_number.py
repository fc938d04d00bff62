"""Sign-in to the consumption portal needs the client number (seed 000: "vous avez toujours
besoin de votre numéro de client pour vous connecter"): once per session and organisation, the
member types one of the organisation's client numbers before the building pages open.

Only the consumption pages use :func:`client_number_required`; it is not one of the GATES,
which guard every data page (the wallet, the members …). Wrong attempts are counted in the
session: after ``MAX_ATTEMPTS`` the form is closed for ``LOCK_MINUTES``; signing out and in
again to reset it runs into the sign-in rate limit."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.portal.access_requests import normalise_client_number
from engine.portal.models import OrganisationClient
from webapp.context import db_session
from webapp.portal.blueprint import bp
from webapp.portal.context import current_access, portal_required

F = TypeVar("F", bound=Callable[..., Any])
CHECKED_KEY = "portal_client_checked"
ATTEMPTS_KEY = "portal_client_attempts"
MAX_ATTEMPTS = 5
LOCK_MINUTES = 15


def _client_numbers(organisation_id: int) -> set[str]:
    return set(db_session().scalars(select(OrganisationClient.client_number).where(
        OrganisationClient.organisation_id == organisation_id, OrganisationClient.revoked_at.is_(None))))


def _checked(organisation_id: int) -> bool:
    return organisation_id in (session.get(CHECKED_KEY) or [])


def client_number_required(view: F) -> F:
    """Put under ``@portal_required(...)``: the consumption pages open once the client number was given."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        access = current_access()
        assert access is not None  # portal_required ran first
        if not _checked(access.organisation_id):
            return redirect(url_for("portal.client_number", next=request.path))
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def _locked_for() -> int:
    """Minutes left before the form opens again (0: open)."""
    state = session.get(ATTEMPTS_KEY) or {}
    until = state.get("until", 0)
    return max(0, int((until - time.time()) // 60) + 1) if until > time.time() else 0


def _note_failure() -> None:
    state = dict(session.get(ATTEMPTS_KEY) or {})
    state["count"] = state.get("count", 0) + 1
    if state["count"] >= MAX_ATTEMPTS:
        state = {"count": 0, "until": time.time() + LOCK_MINUTES * 60}
    session[ATTEMPTS_KEY] = state


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/portal") and not value.startswith("//") else url_for("portal.index")


@bp.route("/client-number", methods=["GET", "POST"])
@portal_required()
def client_number() -> Any:
    access = current_access()
    assert access is not None
    numbers = _client_numbers(access.organisation_id)
    if not numbers:
        flash(_("Your organisation has no client number yet: ask for portal access for your buildings with "
                "radio meters. Once a case worker approves it, you sign in with your client number."), "info")
        return redirect(url_for("portal.access_requests"))
    error, status = None, 200
    if request.method == "POST":
        minutes = _locked_for()
        given = normalise_client_number(request.form.get("client_number", ""))
        if minutes:
            error, status = _("Too many wrong client numbers. Try again in %(minutes)d minutes.",
                              minutes=minutes), 429
        elif not given:
            error, status = _("Enter your client number: it is on your statements and invoices."), 400
        elif given in numbers:
            session.pop(ATTEMPTS_KEY, None)
            session[CHECKED_KEY] = sorted({*(session.get(CHECKED_KEY) or []), access.organisation_id})
            return redirect(_safe_next(request.form.get("next")))
        else:
            _note_failure()
            error, status = _("This is not a client number of your organisation. Check the number on your "
                              "statements and invoices."), 400
    page = render_template("portal/client_number.html", error=error, next=_safe_next(request.values.get("next")))
    return page, status
