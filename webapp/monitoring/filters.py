"""Reading the monitoring filters from a request: a period (a preset or two dates) and the
dossier type, subtype, project, queue and person. A wrong value is not silently dropped: it comes
back as a message saying what to fix, and the page shows the figures without that filter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from engine.access.models import User
from engine.cases.dossier_info import PROJECTS
from engine.cases.models import DossierSubtype, DossierType
from engine.db import utcnow
from engine.monitoring.filters import Scope
from engine.queues.models import Queue
from webapp.labels import dossier_type_label, project_label, queue_label, subtype_label

PERIODS = ("30d", "90d", "12m", "year", "all", "custom")
DEFAULT_PERIOD = "12m"


@dataclass
class ScopeRequest:
    scope: Scope
    values: dict[str, str]  # what the filter form shows again
    errors: list[str] = field(default_factory=list)


def _period(preset: str, start: str, end: str, now: dt.datetime, errors: list[str]) -> tuple[
        dt.datetime | None, dt.datetime | None]:
    if preset == "30d":
        return now - dt.timedelta(days=30), None
    if preset == "90d":
        return now - dt.timedelta(days=90), None
    if preset == "12m":
        return now - dt.timedelta(days=365), None
    if preset == "year":
        return dt.datetime(now.year, 1, 1, tzinfo=dt.UTC), None
    if preset == "all":
        return None, None
    first = last = None
    try:
        first = dt.datetime.combine(dt.date.fromisoformat(start), dt.time(), tzinfo=dt.UTC) if start else None
    except ValueError:
        errors.append(_("The start date %(value)s is not a date: write it as 2026-01-31.", value=start))
    try:
        # the end date is included: the period stops at the end of that day
        last = (dt.datetime.combine(dt.date.fromisoformat(end), dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=1)
                if end else None)
    except ValueError:
        errors.append(_("The end date %(value)s is not a date: write it as 2026-12-31.", value=end))
    if first and last and last <= first:
        errors.append(_("The period ends before it starts: swap the two dates."))
        return None, None
    return first, last


def scope_from_args(session: Session, args: MultiDict[str, str], *, default_period: str = DEFAULT_PERIOD,
                    now: dt.datetime | None = None) -> ScopeRequest:
    now = now or utcnow()
    errors: list[str] = []
    values = {key: (args.get(key) or "").strip() for key in
              ("period", "start", "end", "type", "subtype", "project", "queue", "person")}
    preset = values["period"] or default_period
    if preset not in PERIODS:
        errors.append(_("Unknown period %(value)s: choose one from the list.", value=preset))
        preset = default_period
    if (values["start"] or values["end"]) and not values["period"]:
        preset = "custom"
    values["period"] = preset
    start, end = _period(preset, values["start"], values["end"], now, errors)

    dossier_type = values["type"] or None
    if dossier_type and dossier_type not in {t.value for t in DossierType}:
        errors.append(_("Unknown dossier type %(value)s: choose one from the list.", value=dossier_type))
        dossier_type = None
    subtype_id = None
    if values["subtype"]:
        subtype_id = int(values["subtype"]) if values["subtype"].isdigit() else None
        if subtype_id is None or session.get(DossierSubtype, subtype_id) is None:
            errors.append(_("Unknown subtype %(value)s: choose one from the list.", value=values["subtype"]))
            subtype_id = None
    project = values["project"] or None
    if project and project not in PROJECTS:
        errors.append(_("Unknown project %(value)s: choose one from the list.", value=project))
        project = None
    queue = values["queue"] or None
    if queue and session.scalar(select(Queue.id).where(Queue.code == queue)) is None:
        errors.append(_("Unknown queue %(value)s: choose one from the list.", value=queue))
        queue = None
    person_id = None
    if values["person"]:
        person_id = int(values["person"]) if values["person"].isdigit() else None
        if person_id is None or session.get(User, person_id) is None:
            errors.append(_("Unknown person %(value)s: choose one from the list.", value=values["person"]))
            person_id = None
    scope = Scope(start=start, end=end, dossier_type=dossier_type, subtype_id=subtype_id, project=project,
                  queue=queue, person_id=person_id)
    return ScopeRequest(scope, values, errors)


def filter_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The lists of the filter form: never a value typed blind."""
    subtypes = session.scalars(select(DossierSubtype).order_by(DossierSubtype.type, DossierSubtype.position))
    queues = session.scalars(select(Queue).where(Queue.active.is_(True)).order_by(Queue.position, Queue.code))
    people = session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
    return {
        "period": [("30d", _("Last 30 days")), ("90d", _("Last 90 days")), ("12m", _("Last 12 months")),
                   ("year", _("This year")), ("all", _("All time")), ("custom", _("Chosen dates"))],
        "type": [(t.value, dossier_type_label(t.value)) for t in DossierType],
        "subtype": [(str(s.id), f"{dossier_type_label(s.type)} · {subtype_label(s)}") for s in subtypes],
        "project": [(code, project_label(code)) for code in PROJECTS],
        "queue": [(q.code, queue_label(q.code)) for q in queues],
        "person": [(str(u.id), u.name) for u in people],
    }


def filter_context(session: Session, request_scope: ScopeRequest, shown: tuple[str, ...]) -> dict[str, Any]:
    """What templates/monitoring/_filters.html needs; ``shown`` names the filters that mean
    something on this page (e.g. no queue on the phase board)."""
    return {"filters": request_scope.values, "filter_errors": request_scope.errors,
            "filter_choices": filter_choices(session), "filters_shown": shown}
