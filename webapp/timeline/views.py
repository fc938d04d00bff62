"""Adding a note, logging a phone call, planning an appointment (and marking it done or
cancelled) on a dossier. Each form is a page of its own (works without JavaScript); on success
the dossier's Timeline tab opens again, on errors the form comes back with a message per field."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.cases.models import Dossier
from engine.parties.models import Contact, InvolvedParty
from engine.timeline.commands import (
    ActivityRefused,
    add_note,
    log_call,
    plan_appointment,
    set_appointment_status,
)
from engine.workflow.errors import FormInvalid, NotFound
from forms.html_input import errors_by_field, schema_input, submitted_values
from forms.registry import FieldSpec, FormDefinition
from webapp.auth import BACK_OFFICE, roles_guard
from webapp.context import db_session
from webapp.tasks.dates import from_local, to_local_input
from webapp.timeline.forms import FORMS, registry
from webapp.transactions import run_command

bp = Blueprint("timeline", __name__, url_prefix="/dossiers/<int:dossier_id>/timeline")
bp.before_request(roles_guard(*BACK_OFFICE))  # whoever sees the dossier adds to its timeline

def _dossier(dossier_id: int) -> Dossier:
    dossier = db_session().get(Dossier, dossier_id)
    if dossier is None:
        abort(404)
    return dossier


def _back(dossier_id: int) -> Any:
    return redirect(url_for("dossiers.show", dossier_id=dossier_id, tab="timeline"))


def contact_choices(session: Session, dossier: Dossier) -> list[tuple[str, str]]:
    """The contacts involved in the dossier's journey (they hang on its first dossier)."""
    rows = session.execute(
        select(Contact.id, Contact.first_name, Contact.last_name)
        .join(InvolvedParty, InvolvedParty.contact_id == Contact.id)
        .where(InvolvedParty.dossier_id == dossier.journey_root_id)
        .order_by(Contact.last_name, Contact.first_name).distinct()
    )
    return [(str(row.id), f"{row.first_name} {row.last_name}".strip()) for row in rows]


def _fields(definition: FormDefinition, dossier: Dossier) -> list[FieldSpec]:
    choices = contact_choices(db_session(), dossier)
    return [dataclasses.replace(spec, choices=choices) if spec.name == "contact_id" else spec
            for spec in definition.fields()]


def _message(exc: ActivityRefused) -> str:
    return {
        "required": _("This field is required."),
        "too_long": _("This text is too long."),
        "unknown_value": _("Choose one of the proposed values."),
        "ends_before_start": _("The end must come after the start."),
        "not_involved": _("Choose a contact involved in this dossier."),
        "not_planned": _("This appointment is no longer planned: it was marked done or cancelled meanwhile."),
    }.get(exc.code, _("This value is not accepted."))


def _render(kind: str, dossier: Dossier, values: dict[str, Any], errors: dict[str, list[str]] | None = None,
            status: int = 200) -> Any:
    definition = FORMS[kind]
    return render_template(
        "timeline/form.html", kind=kind, dossier=dossier, definition=definition,
        fields=_fields(definition, dossier), values=values, errors=errors or {},
        problem=_("Some fields need your attention; nothing was saved yet.") if errors else None,
    ), status


def _defaults(kind: str) -> dict[str, Any]:
    now = to_local_input(dt.datetime.now(dt.UTC))
    return {"call": {"occurred_at": now, "direction": "incoming"}, "appointment": {}, "note": {}}[kind]


def _recorder(kind: str, dossier_id: int, data: dict[str, Any], user_id: int) -> Callable[[Session], Any]:
    if kind == "note":
        return lambda session: add_note(session, dossier_id, text=data["text"], actor_id=user_id)
    if kind == "call":
        return lambda session: log_call(
            session, dossier_id, occurred_at=from_local(data["occurred_at"]), direction=data["direction"],
            summary=data["summary"], contact_id=data.get("contact_id"), contact_name=data.get("contact_name"),
            phone=data.get("phone"), actor_id=user_id)
    return lambda session: plan_appointment(
        session, dossier_id, starts_at=from_local(data["starts_at"]),
        ends_at=from_local(data["ends_at"]) if data.get("ends_at") else None, location=data["location"],
        with_whom=data.get("with_whom"), subject=data["subject"], notes=data.get("notes"),
        contact_id=data.get("contact_id"), actor_id=user_id)


def _saved(kind: str) -> str:
    if kind == "note":
        return _("The note was added to the timeline.")
    if kind == "call":
        return _("The phone call was added to the timeline.")
    return _("The appointment was planned.")


@bp.route("/<any(note, call, appointment):kind>", methods=["GET", "POST"])
def add(dossier_id: int, kind: str) -> Any:
    dossier = _dossier(dossier_id)
    if request.method == "GET":
        return _render(kind, dossier, _defaults(kind))
    definition = FORMS[kind]
    values = submitted_values(definition, request.form)
    try:
        data = registry.validate(definition.key, schema_input(definition, request.form))
    except FormInvalid as exc:
        return _render(kind, dossier, values, errors_by_field(definition, exc.errors), 422)
    try:
        run_command(_recorder(kind, dossier_id, data, current_user.id))
    except ActivityRefused as exc:
        return _render(kind, dossier, values, errors_by_field(definition, {exc.field: [_message(exc)]}), 422)
    flash(_saved(kind), "success")
    return _back(dossier_id)


@bp.post("/appointments/<int:activity_id>/<any(done, cancelled):status>")
def appointment_status(dossier_id: int, activity_id: int, status: str) -> Any:
    _dossier(dossier_id)
    user_id = current_user.id
    try:
        run_command(lambda session: set_appointment_status(session, dossier_id, activity_id, status,
                                                           actor_id=user_id))
    except NotFound:
        abort(404)
    except (ActivityRefused, StaleDataError):
        flash(_("This appointment is no longer planned: it was marked done or cancelled meanwhile."), "error")
        return _back(dossier_id)
    flash(_("The appointment is marked as held.") if status == "done" else _("The appointment is cancelled."),
          "success")
    return _back(dossier_id)
