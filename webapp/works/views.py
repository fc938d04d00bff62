"""Adding, changing and deleting works on a dossier, and saving the financing simulation of a
renovation master plan. The tabs that show them are in webapp/works/sections.py."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.cases.rmp_financing import save_financing
from engine.cases.works import (
    EDITABLE_FIELDS,
    WORKS_DOSSIER_TYPES,
    WorksNotFound,
    add_works,
    delete_works,
    get_works,
    update_works,
)
from engine.parties.models import Organisation, OrganisationKind
from engine.workflow.errors import FormInvalid
from forms.html_input import display_values, errors_by_field, schema_input, submitted_values
from forms.registry import FieldSpec
from webapp.auth import CASE_HANDLERS, roles_guard
from webapp.context import db_session
from webapp.transactions import run_command
from webapp.works.forms import FINANCING_FORM, WORKS_FIELD_GROUPS, WORKS_FORM, validate_financing, validate_works

bp = Blueprint("works", __name__, url_prefix="/dossiers/<int:dossier_id>")
bp.before_request(roles_guard(*CASE_HANDLERS))  # every page here changes a dossier

FINANCING_DOSSIER_TYPES = ("advice",)


@bp.app_template_filter("euros")
def euros(value: Decimal | None) -> str:
    """An amount as people read it in their language: 12 500,00 € / € 12.500,00 / €12,500.00."""
    return format_currency(value, "EUR") if value is not None else "—"

NOT_SAVED = "Some fields need your attention; nothing was saved yet."


def contractor_choices(session: Session) -> list[tuple[str, str]]:
    """The active contractor organisations, to choose from."""
    rows = session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.kind == OrganisationKind.CONTRACTOR.value, Organisation.active.is_(True))
        .order_by(Organisation.name)
        .limit(500)
    )
    return [(str(row.id), row.name) for row in rows]


def works_fields(session: Session) -> list[FieldSpec]:
    """The works form's fields; the contractor is chosen from the contractor organisations."""
    choices = contractor_choices(session)
    return [dataclasses.replace(spec, widget="select", choices=choices) if spec.name == "contractor_id" else spec
            for spec in WORKS_FORM.fields()]


def _dossier(dossier_id: int, types: tuple[str, ...]) -> Dossier:
    dossier = db_session().get(Dossier, dossier_id)
    if dossier is None or dossier.type not in types:
        abort(404)
    return dossier


def _back(dossier_id: int, tab: str = "works") -> Any:
    return redirect(url_for("dossiers.show", dossier_id=dossier_id, tab=tab))


def _render_works_form(dossier: Dossier, values: dict[str, Any], errors: dict[str, list[str]] | None = None,
                       works_id: int | None = None, status: int = 200) -> Any:
    fields = works_fields(db_session())
    return render_template(
        "works/form.html", dossier=dossier, works_id=works_id, fields=fields,
        fields_by_name={spec.name: spec for spec in fields}, groups=WORKS_FIELD_GROUPS,
        values=values, errors=errors or {}, problem=_(NOT_SAVED) if errors else None,
    ), status


def _validated(dossier: Dossier, works_id: int | None) -> tuple[dict[str, Any] | None, Any]:
    """(clean data, None) or (None, the form shown again with its errors)."""
    try:
        data = validate_works(schema_input(WORKS_FORM, request.form))
    except FormInvalid as exc:
        return None, _render_works_form(dossier, submitted_values(WORKS_FORM, request.form),
                                        errors_by_field(WORKS_FORM, exc.errors), works_id, 422)
    # A field left empty clears what was there.
    return {name: data.get(name) for name in EDITABLE_FIELDS}, None


@bp.route("/works/new", methods=["GET", "POST"])
def new(dossier_id: int) -> Any:
    dossier = _dossier(dossier_id, WORKS_DOSSIER_TYPES)
    if request.method == "GET":
        return _render_works_form(dossier, {"building_part": "common", "premium_conform": "unknown"})
    data, refused = _validated(dossier, None)
    if refused is not None:
        return refused
    user_id = current_user.id
    try:
        run_command(lambda session: add_works(session, session.get(Dossier, dossier_id), data, user_id=user_id))
    except FormInvalid as exc:  # e.g. a contractor id that is not a contractor
        return _render_works_form(dossier, submitted_values(WORKS_FORM, request.form),
                                  errors_by_field(WORKS_FORM, exc.errors), None, 422)
    flash(_("The works were added."), "success")
    return _back(dossier_id)


@bp.route("/works/<int:works_id>", methods=["GET", "POST"])
def edit(dossier_id: int, works_id: int) -> Any:
    dossier = _dossier(dossier_id, WORKS_DOSSIER_TYPES)
    try:
        works = get_works(db_session(), dossier, works_id)
    except WorksNotFound:
        abort(404)
    if request.method == "GET":
        record = {name: getattr(works, name) for name in EDITABLE_FIELDS}
        if record["environment_permit_needed"] is not None:
            record["environment_permit_needed"] = "yes" if record["environment_permit_needed"] else "no"
        return _render_works_form(dossier, display_values(WORKS_FORM, record), works_id=works_id)
    data, refused = _validated(dossier, works_id)
    if refused is not None:
        return refused
    user_id = current_user.id

    def change(session: Session) -> dict[str, Any]:
        return update_works(session, get_works(session, session.get(Dossier, dossier_id), works_id), data,
                            user_id=user_id)

    try:
        changes = run_command(change)
    except WorksNotFound:
        abort(404)
    except FormInvalid as exc:
        return _render_works_form(dossier, submitted_values(WORKS_FORM, request.form),
                                  errors_by_field(WORKS_FORM, exc.errors), works_id, 422)
    flash(_("The works were saved.") if changes else _("Nothing was changed."), "success")
    return _back(dossier_id)


@bp.post("/works/<int:works_id>/delete")
def delete(dossier_id: int, works_id: int) -> Any:
    _dossier(dossier_id, WORKS_DOSSIER_TYPES)
    user_id = current_user.id

    def remove(session: Session) -> None:
        delete_works(session, get_works(session, session.get(Dossier, dossier_id), works_id), user_id=user_id)

    try:
        run_command(remove)
    except WorksNotFound:
        abort(404)
    flash(_("The works were deleted."), "success")
    return _back(dossier_id)


@bp.post("/financing")
def financing(dossier_id: int) -> Any:
    dossier = _dossier(dossier_id, FINANCING_DOSSIER_TYPES)
    try:
        cleaned = validate_financing(schema_input(FINANCING_FORM, request.form))
    except FormInvalid as exc:
        return render_template(
            "works/financing_page.html", dossier=dossier, fields=FINANCING_FORM.fields(),
            values=submitted_values(FINANCING_FORM, request.form),
            errors=errors_by_field(FINANCING_FORM, exc.errors), problem=_(NOT_SAVED),
        ), 422
    user_id = current_user.id
    run_command(lambda session: save_financing(session, session.get(Dossier, dossier_id), cleaned["inputs"],
                                               cleaned["remarks"], user_id=user_id))
    flash(_("The financing simulation was saved."), "success")
    return _back(dossier_id, "financing")
