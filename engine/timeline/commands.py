"""Recording notes, phone calls and appointments on a dossier. Each is one audited command run
in the caller's transaction (audit_events with subject ``dossier``, so the dossier's history shows
them too). What the web forms already check is checked here again, so that no other caller (the
API, a script) can write half an activity."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.db import utcnow
from engine.parties.models import InvolvedParty
from engine.timeline.models import ActivityKind, AppointmentStatus, CallDirection, DossierActivity
from engine.workflow.errors import EngineError, NotFound
from engine.workflow.models import AuditEvent

TEXT_LIMIT = 4000


class ActivityRefused(EngineError):
    """Nothing was recorded: ``field`` is what to fix, ``code`` says why (``required``,
    ``too_long``, ``unknown_value``, ``ends_before_start``, ``not_involved``, ``not_planned``)."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


def _audit(session: Session, dossier: Dossier, kind: str, actor_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(instance_id=dossier.process_instance_id, subject_type="dossier", subject_id=dossier.id,
                           actor_id=actor_id, kind=kind, detail=detail, at=utcnow()))


def _dossier(session: Session, dossier_id: int) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"Dossier {dossier_id} does not exist.")
    return dossier


def _text(field: str, value: str | None, *, required: bool, limit: int = TEXT_LIMIT) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise ActivityRefused(field, "required")
        return None
    if len(cleaned) > limit:
        raise ActivityRefused(field, "too_long")
    return cleaned


def _aware(field: str, when: dt.datetime | None) -> dt.datetime:
    if when is None:
        raise ActivityRefused(field, "required")
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _involved_contact(session: Session, dossier: Dossier, contact_id: int | None) -> int | None:
    """A contact of the dossier's journey (contacts hang on its first dossier), or None."""
    if contact_id is None:
        return None
    involved = session.scalar(select(InvolvedParty.id).where(
        InvolvedParty.dossier_id == dossier.journey_root_id, InvolvedParty.contact_id == contact_id).limit(1))
    if involved is None:
        raise ActivityRefused("contact_id", "not_involved")
    return contact_id


def _record(session: Session, dossier: Dossier, activity: DossierActivity, kind: str, actor_id: int | None,
            **detail: Any) -> DossierActivity:
    session.add(activity)
    session.flush()
    _audit(session, dossier, kind, actor_id, activity=activity.id, **detail)
    return activity


def add_note(session: Session, dossier_id: int, *, text: str, actor_id: int | None) -> DossierActivity:
    dossier = _dossier(session, dossier_id)
    body = _text("text", text, required=True)
    activity = DossierActivity(dossier_id=dossier.id, kind=ActivityKind.NOTE, occurred_at=utcnow(), body=body,
                               created_by_id=actor_id)
    return _record(session, dossier, activity, "note_added", actor_id, text=body)


def log_call(session: Session, dossier_id: int, *, occurred_at: dt.datetime, direction: str, summary: str,
             contact_id: int | None = None, contact_name: str | None = None, phone: str | None = None,
             actor_id: int | None) -> DossierActivity:
    """A phone call that took place: who called whom, with whom, and what was said."""
    dossier = _dossier(session, dossier_id)
    when = _aware("occurred_at", occurred_at)
    if direction not in {d.value for d in CallDirection}:
        raise ActivityRefused("direction", "unknown_value" if direction else "required")
    contact_id = _involved_contact(session, dossier, contact_id)
    name = _text("contact_name", contact_name, required=contact_id is None, limit=300)
    activity = DossierActivity(
        dossier_id=dossier.id, kind=ActivityKind.CALL, occurred_at=when, direction=direction,
        contact_id=contact_id, contact_name=name, phone=_text("phone", phone, required=False, limit=50),
        body=_text("summary", summary, required=True), created_by_id=actor_id,
    )
    return _record(session, dossier, activity, "call_logged", actor_id, direction=direction,
                   at=when.isoformat(), contact=contact_id, contact_name=name)


def plan_appointment(session: Session, dossier_id: int, *, starts_at: dt.datetime, ends_at: dt.datetime | None,
                     location: str, with_whom: str | None, subject: str, notes: str | None = None,
                     contact_id: int | None = None, actor_id: int | None) -> DossierActivity:
    """An appointment to come (or already held: mark it done afterwards)."""
    dossier = _dossier(session, dossier_id)
    start = _aware("starts_at", starts_at)
    end = _aware("ends_at", ends_at) if ends_at is not None else None
    if end is not None and end <= start:
        raise ActivityRefused("ends_at", "ends_before_start")
    contact_id = _involved_contact(session, dossier, contact_id)
    activity = DossierActivity(
        dossier_id=dossier.id, kind=ActivityKind.APPOINTMENT, occurred_at=start, ends_at=end,
        subject=_text("subject", subject, required=True, limit=200),
        location=_text("location", location, required=True, limit=300),
        contact_id=contact_id, contact_name=_text("with_whom", with_whom, required=contact_id is None, limit=300),
        body=_text("notes", notes, required=False) or "", status=AppointmentStatus.PLANNED, created_by_id=actor_id,
    )
    return _record(session, dossier, activity, "appointment_planned", actor_id, subject=activity.subject,
                   starts_at=start.isoformat(), location=activity.location)


def set_appointment_status(session: Session, dossier_id: int, activity_id: int, status: str, *,
                           actor_id: int | None) -> DossierActivity:
    """A planned appointment was held (``done``) or called off (``cancelled``). Two people doing
    it at once: the second finds it no longer planned (``not_planned``), or loses on the row's
    lock_version (a ``StaleDataError`` the caller reports as a conflict)."""
    dossier = _dossier(session, dossier_id)
    activity = session.get(DossierActivity, activity_id)
    if activity is None or activity.dossier_id != dossier.id or activity.kind != ActivityKind.APPOINTMENT:
        raise NotFound(f"Appointment {activity_id} is not on dossier {dossier_id}.")
    if status not in (AppointmentStatus.DONE, AppointmentStatus.CANCELLED):
        raise ActivityRefused("status", "unknown_value")
    if activity.status != AppointmentStatus.PLANNED:
        raise ActivityRefused("status", "not_planned")
    activity.status = status
    session.flush()
    _audit(session, dossier, f"appointment_{status}", actor_id, activity=activity.id, subject=activity.subject)
    return activity
