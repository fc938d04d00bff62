"""The dossier tab "Contacts": the parties of the dossier and of its journey's first dossier;
add a contact or organisation in a role (search, or create one), choose the main contact, remove."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.parties import involvement
from engine.parties.errors import InvolvementRefused
from engine.parties.queries import parties_of_dossier, search_contacts, search_organisations
from engine.workflow.errors import NotFound
from webapp.auth import CASE_HANDLERS, require_roles
from webapp.dossiers.sections import Section, register_section
from webapp.parties.labels import INVOLVEMENT_REFUSALS, role_choices
from webapp.parties.views import bp
from webapp.transactions import run_command

SEARCH_LIMIT = 20


def _context(session: Session, dossier: Dossier) -> dict[str, Any]:
    search = request.args.get("party_q", "").strip()[:100]
    party_kind = request.args.get("party_kind", "contact")
    found: list[Any] = []
    if search:
        finder = search_contacts if party_kind == "contact" else search_organisations
        found = finder(session, search, limit=SEARCH_LIMIT)
    return {"parties": parties_of_dossier(session, dossier), "party_search": search, "party_kind": party_kind,
            "found": found, "roles": role_choices()}


register_section(Section(key="contacts", label=_l("Contacts"), template="parties/dossier_section.html",
                         context=_context, order=20))


def _back(dossier_id: int) -> Any:
    return redirect(url_for("dossiers.show", dossier_id=dossier_id, tab="contacts"))


def _run(dossier_id: int, action: Any, done: str) -> Any:
    try:
        run_command(action)
    except NotFound:
        abort(404)
    except InvolvementRefused as exc:
        flash(str(INVOLVEMENT_REFUSALS.get(exc.code, exc.code)), "error")
        return _back(dossier_id)
    flash(done, "success")
    return _back(dossier_id)


@bp.post("/dossiers/<int:dossier_id>/parties")
@require_roles(*CASE_HANDLERS)
def add_party(dossier_id: int) -> Any:
    contact_id = request.form.get("contact_id", type=int)
    organisation_id = request.form.get("organisation_id", type=int)
    role, main, user_id = request.form.get("role", ""), request.form.get("main") == "1", current_user.id
    return _run(dossier_id, lambda s: involvement.add_party(
        s, dossier_id, role, user_id, contact_id=contact_id, organisation_id=organisation_id, main=main),
        _("The party is added to the dossier."))


@bp.post("/dossiers/<int:dossier_id>/parties/<int:involvement_id>/main")
@require_roles(*CASE_HANDLERS)
def set_main(dossier_id: int, involvement_id: int) -> Any:
    user_id = current_user.id
    return _run(dossier_id, lambda s: involvement.set_main(s, involvement_id, user_id, dossier_id),
                _("The main contact is changed."))


@bp.post("/dossiers/<int:dossier_id>/parties/<int:involvement_id>/remove")
@require_roles(*CASE_HANDLERS)
def remove_party(dossier_id: int, involvement_id: int) -> Any:
    user_id = current_user.id
    return _run(dossier_id, lambda s: involvement.remove_party(s, involvement_id, user_id, dossier_id),
                _("The party is removed from the dossier."))
