"""Dossier pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from engine.cases.dossiers import open_dossier
from engine.cases.models import Dossier, DossierType
from engine.workflow.errors import FormInvalid, NotFound
from forms.dossier_opening import OPEN_INFORMATION_DOSSIER, validate_opening
from forms.html_input import errors_by_field, schema_input, submitted_values
from webapp.auth import BACK_OFFICE, CASE_HANDLERS, require_roles, roles_guard
from webapp.context import db_session, services
from webapp.dossiers.audit_trail import dossier_trail
from webapp.dossiers.queries import dossier_page
from webapp.dossiers.sections import sections_for
from webapp.labels import PHASE_FLOWS
from webapp.tasks.queries import open_tasks_of_instance
from webapp.transactions import run_command

bp = Blueprint("dossiers", __name__, url_prefix="/dossiers")
bp.before_request(roles_guard(*BACK_OFFICE))

NUMBER_ATTEMPTS = 3  # two people opening a dossier at the same moment may draw the same number


def _page_arg() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.get("/")
def index() -> Any:
    search = request.args.get("q", "").strip()[:100]
    return render_template("dossiers/index.html", listing=dossier_page(db_session(), search=search, page=_page_arg()),
                           search=search)


def _render_new(values: dict[str, Any], errors: dict[str, list[str]] | None = None,
                problem: str | None = None, status: int = 200) -> Any:
    return render_template(
        "dossiers/new.html",
        definition=OPEN_INFORMATION_DOSSIER,
        fields=OPEN_INFORMATION_DOSSIER.fields(),
        values=values,
        errors=errors or {},
        problem=problem,
    ), status


@bp.route("/new/information", methods=["GET", "POST"])
@require_roles(*CASE_HANDLERS)
def new_information() -> Any:
    if request.method == "GET":
        return _render_new({})
    values = submitted_values(OPEN_INFORMATION_DOSSIER, request.form)
    try:
        data = validate_opening(schema_input(OPEN_INFORMATION_DOSSIER, request.form))
    except FormInvalid as exc:
        errors = errors_by_field(OPEN_INFORMATION_DOSSIER, exc.errors)
        return _render_new(values, errors, _("Some fields need your attention; nothing was saved yet."), 422)
    user_id = current_user.id
    dossier: Dossier | None = None
    for attempt in range(1, NUMBER_ATTEMPTS + 1):
        try:
            dossier = run_command(lambda session: open_dossier(
                session, services().engine, DossierType.INFORMATION, data["title"],
                user_id=user_id, description=data.get("description"),
            ))
            break
        except NotFound:
            return _render_new(values, problem=_("The Information process is not deployed yet. Ask a process "
                                                 "designer to deploy bpmn/dossiers/information.bpmn."), status=503)
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS:
                raise
    assert dossier is not None
    flash(_("Dossier %(number)s is open.", number=dossier.number), "success")
    return redirect(url_for("dossiers.show", dossier_id=dossier.id))


@bp.get("/<int:dossier_id>")
def show(dossier_id: int) -> Any:
    session = db_session()
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        abort(404)
    instance = dossier.process_instance
    tasks = open_tasks_of_instance(session, instance.id) if instance is not None else []
    case_data: dict[str, Any] = {}
    if instance is not None:
        try:
            case_data = services().engine.task_data(instance)
        except Exception:  # the page must open even when the case data cannot be read
            case_data = {}
    sections = sections_for(dossier)
    tab = request.args.get("tab", "overview")
    active_section = next((section for section in sections if section.key == tab), None)
    return render_template(
        "dossiers/show.html",
        sections=sections,
        active_section=active_section,
        section=active_section.context(session, dossier) if active_section else {},
        dossier=dossier,
        instance=instance,
        phases=PHASE_FLOWS.get(dossier.type, []),
        tasks=tasks,
        lead_time=case_data.get("lead_time_working_days"),
        trail=dossier_trail(session, dossier.id, services().forms, page=_page_arg()),
    )
