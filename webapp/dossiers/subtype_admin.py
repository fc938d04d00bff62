"""Dossier subtypes, managed by an administrator (seed 001 §5.2): list, create, rename,
deactivate and reactivate, under /dossiers/subtypes."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.access.models import Role
from engine.cases.models import DossierSubtype, DossierType, JourneyStage
from engine.cases.subtypes import create_subtype, rename_subtype, set_subtype_active, subtypes
from webapp.auth import require_roles
from webapp.context import db_session
from webapp.dossiers.views import bp
from webapp.labels import DOSSIER_TYPES, JOURNEY_STAGES
from webapp.transactions import run_command


def _form() -> tuple[dict[str, str], dict[str, str]]:
    values = {key: request.form.get(key, "").strip() for key in
              ("dossier_type", "name_fr", "name_nl", "name_en", "journey_stage")}
    errors = {}
    if len(values["name_fr"]) < 2:
        errors["name_fr"] = _("Give the French name (at least 2 characters).")
    if values["dossier_type"] not in {t.value for t in DossierType}:
        errors["dossier_type"] = _("Choose one of the proposed values.")
    if values["journey_stage"] and values["journey_stage"] not in {s.value for s in JourneyStage}:
        errors["journey_stage"] = _("Choose one of the proposed values.")
    return values, errors


def _render(values: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200,
            editing: DossierSubtype | None = None) -> Any:
    return render_template(
        "dossiers/subtypes.html",
        subtypes=subtypes(db_session()),
        types=DOSSIER_TYPES,
        stages=JOURNEY_STAGES,
        values=values or {},
        errors=errors or {},
        editing=editing,
    ), status


@bp.get("/subtypes/")
@require_roles(Role.ADMINISTRATOR)
def subtypes_index() -> Any:
    return _render()


@bp.post("/subtypes/")
@require_roles(Role.ADMINISTRATOR)
def subtypes_create() -> Any:
    values, errors = _form()
    if errors:
        return _render(values, errors, 422)
    subtype = run_command(lambda session: create_subtype(
        session, values["dossier_type"], values["name_fr"], values["name_nl"], values["name_en"],
        values["journey_stage"] or None))
    flash(_("Subtype “%(name)s” added.", name=subtype.name_fr), "success")
    return redirect(url_for("dossiers.subtypes_index"))


@bp.route("/subtypes/<int:subtype_id>", methods=["GET", "POST"])
@require_roles(Role.ADMINISTRATOR)
def subtypes_edit(subtype_id: int) -> Any:
    subtype = db_session().get(DossierSubtype, subtype_id)
    if subtype is None:
        abort(404)
    if request.method == "GET":
        return _render({"dossier_type": subtype.type, "name_fr": subtype.name_fr, "name_nl": subtype.name_nl or "",
                        "name_en": subtype.name_en or "", "journey_stage": subtype.journey_stage or ""},
                       editing=subtype)
    values, errors = _form()
    errors.pop("dossier_type", None)  # the type of a subtype does not change
    if errors:
        return _render(values, errors, 422, editing=subtype)
    run_command(lambda session: rename_subtype(session, subtype_id, values["name_fr"], values["name_nl"],
                                               values["name_en"], values["journey_stage"] or None))
    flash(_("Subtype “%(name)s” saved.", name=values["name_fr"]), "success")
    return redirect(url_for("dossiers.subtypes_index"))


@bp.post("/subtypes/<int:subtype_id>/active")
@require_roles(Role.ADMINISTRATOR)
def subtypes_set_active(subtype_id: int) -> Any:
    if db_session().get(DossierSubtype, subtype_id) is None:
        abort(404)
    active = request.form.get("active") == "1"
    subtype = run_command(lambda session: set_subtype_active(session, subtype_id, active))
    flash(_("Subtype “%(name)s” can be chosen again.", name=subtype.name_fr) if active else
          _("Subtype “%(name)s” is deactivated: it can no longer be chosen for a new dossier; the dossiers "
            "that have it keep it.", name=subtype.name_fr), "success")
    return redirect(url_for("dossiers.subtypes_index"))
