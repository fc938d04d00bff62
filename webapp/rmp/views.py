"""Saving the two parts of a dossier's RMP record (decision & request, elaboration). The tabs
that show them are in webapp/rmp/sections.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.cases.models import Dossier
from engine.cases.rmp import RmpRefused, is_rmp_dossier, rmp_record_of, save_rmp
from engine.workflow.errors import FormInvalid
from forms.html_input import errors_by_field, schema_input, submitted_values
from webapp.auth import CASE_HANDLERS, roles_guard
from webapp.context import db_session
from webapp.rmp.forms import FORMS, GROUPS, record_values, validate_part
from webapp.transactions import run_command

bp = Blueprint("rmp", __name__, url_prefix="/dossiers/<int:dossier_id>/rmp")
bp.before_request(roles_guard(*CASE_HANDLERS))  # every page here changes a dossier

TABS = {"application": "rmp_application", "elaboration": "rmp_elaboration"}
NOT_SAVED = "Some fields need your attention; nothing was saved yet."


def _rmp_dossier(dossier_id: int) -> Dossier:
    dossier = db_session().get(Dossier, dossier_id)
    if dossier is None or not is_rmp_dossier(dossier):
        abort(404)
    return dossier


def _render(dossier: Dossier, part: str, values: dict[str, Any], errors: dict[str, list[str]] | None = None,
            problem: str | None = None, status: int = 200) -> Any:
    fields = FORMS[part].fields()
    return render_template(
        "rmp/page.html", dossier=dossier, part=part, tab=TABS[part], fields=fields,
        fields_by_name={spec.name: spec for spec in fields}, groups=GROUPS[part], values=values,
        errors=errors or {}, problem=problem,
    ), status


@bp.route("/<part>", methods=["GET", "POST"])
def edit(dossier_id: int, part: str) -> Any:
    if part not in FORMS:
        abort(404)
    dossier = _rmp_dossier(dossier_id)
    definition = FORMS[part]
    if request.method == "GET":
        return _render(dossier, part, record_values(part, rmp_record_of(db_session(), dossier_id)))
    try:
        data = validate_part(part, schema_input(definition, request.form))
    except FormInvalid as exc:
        return _render(dossier, part, submitted_values(definition, request.form),
                       errors_by_field(definition, exc.errors), _(NOT_SAVED), 422)
    user_id = current_user.id
    try:
        changes = run_command(lambda session: save_rmp(session, session.get(Dossier, dossier_id), part, data,
                                                       user_id=user_id))
    except RmpRefused as exc:
        return _render(dossier, part, submitted_values(definition, request.form), {"_schema": [str(exc)]},
                       _(NOT_SAVED), 422)
    flash(_("The renovation master plan was saved.") if changes else _("Nothing was changed."), "success")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id, tab=TABS[part]))
