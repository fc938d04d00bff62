"""Dossier pages: the list with its filters, opening a dossier of any type (alone or as a
follow-up in a customer journey), the dossier page, its general information (seed 001 §3.2),
deactivation and deletion."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.access.models import Role
from engine.cases.dossier_info import DossierInfoRefused, change_dossier_info
from engine.cases.dossiers import DossierRefused, delete_dossier, open_dossier, set_dossier_active
from engine.cases.models import Dossier, DossierType
from engine.cases.phases import phase_steps
from engine.cases.subtypes import subtypes
from engine.workflow.errors import FormInvalid, NotFound
from engine.workflow.models import InstanceStatus
from forms.dossier_opening import (
    DOSSIER_INFO,
    OPEN_DOSSIER,
    OPEN_INFORMATION_DOSSIER,
    validate_dossier_info,
    validate_new_dossier,
    validate_opening,
)
from forms.html_input import display_values, errors_by_field, schema_input, submitted_values
from forms.registry import FieldSpec
from integrations.documents.store import DiskStore
from integrations.documents.upload import delete_all as delete_all_files
from webapp.auth import BACK_OFFICE, CASE_HANDLERS, require_roles, roles_guard
from webapp.context import db_session, services
from webapp.dossiers.audit_trail import dossier_trail
from webapp.dossiers.queries import DossierFilters, dossier_page
from webapp.dossiers.sections import sections_for
from webapp.labels import DOSSIER_TYPES, PHASE_FLOWS, PHASES, STATUSES, dossier_type_label, subtype_label
from webapp.privacy import record_access  # the access log of personal data
from webapp.tasks.queries import open_tasks_of_instance
from webapp.transactions import run_command

bp = Blueprint("dossiers", __name__, url_prefix="/dossiers")
bp.before_request(roles_guard(*BACK_OFFICE))

NUMBER_ATTEMPTS = 3  # two people opening a dossier at the same moment may draw the same number


def _page_arg() -> int:
    return request.args.get("page", 1, type=int) or 1


def _type_choices() -> list[tuple[str, str]]:
    return [(str(code), str(label)) for code, label in DOSSIER_TYPES.items()]


def _subtype_choices(session: Session, dossier_type: str | None, *, active_only: bool) -> list[tuple[str, str]]:
    """Subtypes of ``dossier_type`` (or of every type, named with their type)."""
    return [
        (str(s.id), subtype_label(s) if dossier_type else f"{dossier_type_label(s.type)} — {subtype_label(s)}")
        for s in subtypes(session, dossier_type or None, active_only=active_only)
    ]


@bp.get("/")
def index() -> Any:
    session = db_session()
    args = request.args
    dossier_type = args.get("type", "")
    filters = DossierFilters(
        search=args.get("q", "").strip()[:100],
        type=dossier_type if dossier_type in {t.value for t in DossierType} else "",
        subtype_id=args.get("subtype", type=int),
        phase=args.get("phase", "") if args.get("phase", "") in PHASES else "",
        status=args.get("status", "") if args.get("status", "") in STATUSES else "",
        include_inactive=args.get("inactive") == "1",
    )
    phases = PHASE_FLOWS.get(filters.type) or list(PHASES)
    return render_template(
        "dossiers/index.html",
        listing=dossier_page(session, page=_page_arg(), filters=filters),
        search=filters.search,
        filters=filters,
        type_choices=_type_choices(),
        subtype_choices=_subtype_choices(session, filters.type, active_only=False),
        phase_choices=[(code, str(PHASES[code])) for code in phases],
        status_choices=[(str(code), str(label)) for code, label in STATUSES.items()],
    )


# ----------------------------------------------------------------------------- opening

def _open_with_retries(opener: Callable[[Session], Dossier]) -> Dossier:
    for attempt in range(1, NUMBER_ATTEMPTS + 1):
        try:
            return run_command(opener)
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _not_deployed(dossier_type: str) -> str:
    return _("The process of this dossier type is not deployed yet. Ask a process designer to deploy "
             "bpmn/dossiers/%(type)s.bpmn.", type=dossier_type)


def _render_new(values: dict[str, Any], errors: dict[str, list[str]] | None = None,
                problem: str | None = None, status: int = 200) -> Any:
    return render_template(
        "dossiers/new.html",
        definition=OPEN_INFORMATION_DOSSIER,
        fields=OPEN_INFORMATION_DOSSIER.fields(),
        values=values,
        errors=errors or {},
        problem=problem,
        action=url_for("dossiers.new_information"),
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
    try:
        dossier = _open_with_retries(lambda session: open_dossier(
            session, services().engine, DossierType.INFORMATION, data["title"],
            user_id=user_id, description=data.get("description"),
        ))
    except NotFound:
        return _render_new(values, problem=_("The Information process is not deployed yet. Ask a process "
                                             "designer to deploy bpmn/dossiers/information.bpmn."), status=503)
    flash(_("Dossier %(number)s is open.", number=dossier.number), "success")
    return redirect(url_for("dossiers.show", dossier_id=dossier.id))


def _opening_fields(session: Session, dossier_type: str | None, *, exclude_type: bool = False) -> list[FieldSpec]:
    out = []
    for spec in OPEN_DOSSIER.fields():
        if spec.name == "dossier_type":
            if exclude_type:
                continue
            spec = dataclasses.replace(spec, choices=_type_choices())
        elif spec.name == "subtype_id":
            spec = dataclasses.replace(spec, choices=_subtype_choices(session, dossier_type, active_only=True))
        out.append(spec)
    return out


def _opening(journey_of: Dossier | None) -> Any:
    """GET or POST of the opening page: a new dossier, or a follow-up of ``journey_of``."""
    session = db_session()
    source = request.form if request.method == "POST" else request.args
    chosen_type = source.get("dossier_type") or source.get("type") or ""
    if chosen_type not in {t.value for t in DossierType}:
        chosen_type = ""
    action = (url_for("dossiers.follow_up", dossier_id=journey_of.id) if journey_of
              else url_for("dossiers.new"))

    def render(values: dict[str, Any], errors: dict[str, list[str]] | None = None, problem: str | None = None,
               status: int = 200) -> Any:
        values = {"dossier_type": chosen_type, **values}
        return render_template("dossiers/open.html", definition=OPEN_DOSSIER,
                               fields=_opening_fields(session, chosen_type), values=values, errors=errors or {},
                               problem=problem, action=action, journey_of=journey_of, chosen_type=chosen_type,
                               type_choices=_type_choices()), status

    if request.method == "GET" or request.form.get("refresh"):
        values = submitted_values(OPEN_DOSSIER, request.form) if request.method == "POST" else {}
        return render(values)
    values = submitted_values(OPEN_DOSSIER, request.form)
    try:
        data = validate_new_dossier(schema_input(OPEN_DOSSIER, request.form))
    except FormInvalid as exc:
        return render(values, errors_by_field(OPEN_DOSSIER, exc.errors),
                      _("Some fields need your attention; nothing was saved yet."), 422)
    subtype_id = int(data["subtype_id"]) if str(data.get("subtype_id") or "").isdigit() else None
    if data.get("subtype_id") and (subtype_id is None or str(subtype_id) not in
                                   dict(_subtype_choices(session, data["dossier_type"], active_only=True))):
        return render(values, {"subtype_id": [_("Choose an active subtype of the chosen dossier type.")]},
                      _("Some fields need your attention; nothing was saved yet."), 422)
    user_id = current_user.id
    journey_id = journey_of.id if journey_of else None
    dossier_type = DossierType(data["dossier_type"])

    def opener(session: Session) -> Dossier:
        follow_up_of = session.get(Dossier, journey_id) if journey_id else None
        return open_dossier(session, services().engine, dossier_type, data["title"], user_id=user_id,
                            description=data.get("description"), subtype_id=subtype_id,
                            source=data.get("source"), offer_presentation=data.get("offer_presentation"),
                            main_project=data.get("main_project"),
                            additional_projects=data.get("additional_projects"), follow_up_of=follow_up_of)

    try:
        dossier = _open_with_retries(opener)
    except NotFound:
        return render(values, problem=_not_deployed(dossier_type.value), status=503)
    except DossierInfoRefused as exc:
        return render(values, {exc.field: [_("Choose one of the proposed values.")]},
                      _("Some fields need your attention; nothing was saved yet."), 422)
    except DossierRefused:
        return render(values, {"subtype_id": [_("Choose an active subtype of the chosen dossier type.")]},
                      _("Some fields need your attention; nothing was saved yet."), 422)
    flash(_("Dossier %(number)s is open.", number=dossier.number), "success")
    return redirect(url_for("dossiers.show", dossier_id=dossier.id))


@bp.route("/new", methods=["GET", "POST"])
@require_roles(*CASE_HANDLERS)
def new() -> Any:
    return _opening(None)


def _dossier_or_404(dossier_id: int) -> Dossier:
    dossier = db_session().get(Dossier, dossier_id)
    if dossier is None:
        abort(404)
    return dossier


@bp.route("/<int:dossier_id>/follow-up", methods=["GET", "POST"])
@require_roles(*CASE_HANDLERS)
def follow_up(dossier_id: int) -> Any:
    return _opening(_dossier_or_404(dossier_id))


# ----------------------------------------------------------------------------- the dossier page

@bp.get("/<int:dossier_id>")
def show(dossier_id: int) -> Any:
    session = db_session()
    dossier = _dossier_or_404(dossier_id)
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
    journey_root = session.get(Dossier, dossier.journey_id) if dossier.journey_id else None
    record_access("view", "dossier", dossier.id)
    return render_template(
        "dossiers/show.html",
        sections=sections,
        active_section=active_section,
        section=active_section.context(session, dossier) if active_section else {},
        dossier=dossier,
        instance=instance,
        phases=PHASE_FLOWS.get(dossier.type, []),
        phase_steps=phase_steps(session, dossier.type, dossier.id, dossier.phase,
                                completed=dossier.status == InstanceStatus.COMPLETED),
        journey_root=journey_root,
        tasks=tasks,
        lead_time=case_data.get("lead_time_working_days"),
        trail=dossier_trail(session, dossier.id, services().forms, page=_page_arg()),
        may_delete=current_user.has_role(Role.ADMINISTRATOR),
    )


# ----------------------------------------------------------------------------- general information

@bp.route("/<int:dossier_id>/info", methods=["GET", "POST"])
@require_roles(*CASE_HANDLERS)
def edit_info(dossier_id: int) -> Any:
    """Source of the request, offer presentation, main and additional projects (seed 001 §3.2)."""
    dossier = _dossier_or_404(dossier_id)

    def render(values: dict[str, Any], errors: dict[str, list[str]] | None = None, problem: str | None = None,
               status: int = 200) -> Any:
        return render_template("dossiers/info.html", definition=DOSSIER_INFO, fields=DOSSIER_INFO.fields(),
                               values=values, errors=errors or {}, problem=problem, dossier=dossier), status

    if request.method == "GET":
        return render(display_values(DOSSIER_INFO, {
            "source": dossier.source, "offer_presentation": dossier.offer_presentation,
            "main_project": dossier.main_project, "additional_projects": list(dossier.additional_projects or []),
        }))
    values = submitted_values(DOSSIER_INFO, request.form)
    try:
        data = validate_dossier_info(schema_input(DOSSIER_INFO, request.form))
    except FormInvalid as exc:
        return render(values, errors_by_field(DOSSIER_INFO, exc.errors),
                      _("Some fields need your attention; nothing was saved yet."), 422)
    user_id = current_user.id
    try:
        changes = run_command(lambda session: change_dossier_info(
            session, dossier_id, source=data.get("source"), offer_presentation=data.get("offer_presentation"),
            main_project=data.get("main_project"), additional_projects=data.get("additional_projects"),
            user_id=user_id))
    except DossierInfoRefused as exc:
        return render(values, {exc.field: [_("Choose one of the proposed values.")]},
                      _("Some fields need your attention; nothing was saved yet."), 422)
    flash(_("The dossier information is saved.") if changes else _("Nothing changed."), "success")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id))


@bp.post("/<int:dossier_id>/deactivate")
@require_roles(*CASE_HANDLERS, Role.MANAGER)
def deactivate(dossier_id: int) -> Any:
    return _set_active(dossier_id, False)


@bp.post("/<int:dossier_id>/reactivate")
@require_roles(*CASE_HANDLERS, Role.MANAGER)
def reactivate(dossier_id: int) -> Any:
    return _set_active(dossier_id, True)


def _set_active(dossier_id: int, active: bool) -> Any:
    _dossier_or_404(dossier_id)
    user_id = current_user.id
    dossier = run_command(lambda session: set_dossier_active(session, dossier_id, active, user_id=user_id))
    flash(_("Dossier %(number)s is active again.", number=dossier.number) if active else
          _("Dossier %(number)s is deactivated: it no longer shows in the lists, and nothing was deleted.",
            number=dossier.number), "success")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id))


@bp.route("/<int:dossier_id>/delete", methods=["GET", "POST"])
@require_roles(Role.ADMINISTRATOR)
def delete(dossier_id: int) -> Any:
    dossier = _dossier_or_404(dossier_id)
    if request.method == "GET":
        return render_template("dossiers/delete.html", dossier=dossier)
    user_id = current_user.id
    try:
        def delete_for_good(session: Session) -> str:
            # a first dossier's files go with it (their contents once no other file uses them)
            delete_all_files(session, DiskStore(services().settings.files_root), dossier_id, user_id=user_id)
            return delete_dossier(session, services().engine, dossier_id, user_id=user_id)

        number = run_command(delete_for_good)
    except DossierRefused:
        flash(_("This dossier starts a customer journey that has follow-up dossiers: delete those first."), "error")
        return redirect(url_for("dossiers.show", dossier_id=dossier_id))
    flash(_("Dossier %(number)s was deleted.", number=number), "success")
    return redirect(url_for("dossiers.index"))


from webapp.dossiers import journey as _journey  # noqa: E402,F401 - registers the "journey" tab
from webapp.dossiers import subtype_admin as _subtype_admin  # noqa: E402,F401 - /dossiers/subtypes
