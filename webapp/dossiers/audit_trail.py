"""The audit trail of a dossier, told in words: who did what, when, newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.workflow.models import AuditEvent, HumanTask
from forms.readable import ReadableValue, readable_values
from forms.registry import FormRegistry
from webapp.labels import (
    offer_presentation_label,
    phase_label,
    process_text,
    project_label,
    projects_label,
    request_source_label,
)

PAGE_SIZE = 50


@dataclass(frozen=True)
class TrailEntry:
    at: dt.datetime
    kind: str
    actor: str
    text: str
    details: list[ReadableValue] = field(default_factory=list)


@dataclass(frozen=True)
class TrailPage:
    entries: list[TrailEntry]
    page: int
    pages: int
    total: int


class _Names:
    """User names and task names the events refer to, loaded in two queries."""

    def __init__(self, session: Session, events: Iterable[AuditEvent]) -> None:
        user_ids: set[int] = set()
        task_ids: set[int] = set()
        for event in events:
            if event.actor_id:
                user_ids.add(event.actor_id)
            for key in ("assignee", "previous_assignee"):
                if isinstance(event.detail.get(key), int):
                    user_ids.add(event.detail[key])
            if isinstance(event.detail.get("human_task"), int):
                task_ids.add(event.detail["human_task"])
        self.users = dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) \
            if user_ids else {}
        self.tasks = dict(session.execute(select(HumanTask.id, HumanTask.name).where(HumanTask.id.in_(task_ids))
                                          ).all()) if task_ids else {}

    def user(self, user_id: Any) -> str:
        return self.users.get(user_id) or _("someone")

    def task(self, detail: dict[str, Any]) -> str:
        name = detail.get("name") or self.tasks.get(detail.get("human_task")) or detail.get("task") or "?"
        return process_text(name)


def _describe(event: AuditEvent, names: _Names) -> str:
    d = event.detail or {}
    kind = event.kind
    texts: dict[str, Callable[[], str]] = {
        "instance_started": lambda: _("Dossier opened"),
        "phase_entered": lambda: _("Phase “%(phase)s” reached", phase=phase_label(d.get("phase"))),
        "task_completed": lambda: _("Task “%(task)s” completed", task=names.task(d)),
        "task_claimed": lambda: _("Task “%(task)s” taken", task=names.task(d)),
        "task_released": lambda: _("Task “%(task)s” put back in its queue", task=names.task(d)),
        "task_assigned": lambda: (
            _("Task “%(task)s” assigned to %(who)s", task=names.task(d), who=names.user(d.get("assignee")))
            if d.get("assignee") else _("Task “%(task)s” unassigned", task=names.task(d))
        ),
        "instance_completed": lambda: _("Dossier closed: every step is done"),
        "rmp_application_saved": lambda: _("RMP decision and request saved"),
        "rmp_elaboration_saved": lambda: _("RMP elaboration saved"),
        "instance_suspended": lambda: _("Dossier suspended"),
        "instance_resumed": lambda: _("Dossier resumed"),
        "instance_terminated": lambda: (
            _("Dossier stopped: %(reason)s", reason=d["reason"]) if d.get("reason") else _("Dossier stopped")
        ),
        "incident": lambda: _("An automatic step failed: %(error)s", error=d.get("error", "?")),
        "incident_retried": lambda: _("The failed step was tried again"),
        "incident_resolved": lambda: _("Incident resolved: %(note)s", note=d.get("note", "")),
        "timer_fired": lambda: _("A deadline was reached"),
        "message_received": lambda: _("Message “%(message)s” received", message=d.get("message", "?")),
        "service_call_done": lambda: _("Automatic step “%(operator)s” done", operator=d.get("operator", "?")),
        "dossier_info_changed": lambda: _dossier_info_text(d),
        "dossier_deactivated": lambda: _("Dossier deactivated: hidden from the lists"),
        "dossier_reactivated": lambda: _("Dossier active again"),
        "party_added": lambda: _("%(name)s is involved in the dossier", name=d.get("name", "?")),
        "party_removed": lambda: _("%(name)s is no longer involved in the dossier", name=d.get("name", "?")),
        "main_contact_set": lambda: _("Main contact: %(name)s", name=d.get("name", "?")),
        "works_added": lambda: _("Works added"),
        "works_changed": lambda: _("Works changed"),
        "works_decided": lambda: _("Works: investment decided"),
        "works_deleted": lambda: _("Works deleted"),
        "rmp_financing_saved": lambda: _("Financing simulation saved"),
        "site_address_set": lambda: _("Site address set to %(address)s", address=d.get("address", "?")),
        "address_details_saved": lambda: _("Address details saved"),
        "epc_added": lambda: _("EPC %(label)s added", label=d.get("label", "?")),
        "epc_changed": lambda: _("EPC %(label)s changed", label=d.get("label", "?")),
        "folder_created": lambda: _("Folder “%(name)s” created", name=d.get("name", "?")),
        "file_uploaded": lambda: _("File “%(name)s” uploaded", name=d.get("name", "?")),
        "file_moved": lambda: _("File “%(name)s” moved", name=d.get("name", "?")),
        "file_deactivated": lambda: _("File “%(name)s” deactivated", name=d.get("name", "?")),
        "file_reactivated": lambda: _("File “%(name)s” reactivated", name=d.get("name", "?")),
        "file_deleted": lambda: _("File “%(name)s” deleted for good", name=d.get("name", "?")),
        "task_dates_set": lambda: _("Dates of task “%(task)s” changed", task=names.task(d)),
        "note_added": lambda: _("Note added"),
        "call_logged": lambda: _("Phone call logged"),
        "appointment_planned": lambda: _("Appointment “%(subject)s” planned", subject=d.get("subject", "?")),
        "appointment_done": lambda: _("Appointment “%(subject)s” held", subject=d.get("subject", "?")),
        "appointment_cancelled": lambda: _("Appointment “%(subject)s” cancelled", subject=d.get("subject", "?")),
    }
    describe = texts.get(kind)
    return describe() if describe else kind.replace("_", " ").capitalize()


# the fields of the "Edit dossier info" page: label, words for a value
_INFO_FIELDS: dict[str, tuple[Callable[[], str], Callable[[Any], str]]] = {
    "source": (lambda: _("Source of the request"), request_source_label),
    "offer_presentation": (lambda: _("Offer presentation"), offer_presentation_label),
    "main_project": (lambda: _("Main project"), project_label),
    "additional_projects": (lambda: _("Additional projects"), projects_label),
}


def _dossier_info_text(detail: dict[str, Any]) -> str:
    """``Dossier info changed: Main project: — → CondoReno; …`` (old → new, in the reader's words)."""
    parts = []
    changes = detail.get("changes") or {}
    # in the order of the page (PostgreSQL's JSONB does not keep the order of the keys)
    for name in [*(n for n in _INFO_FIELDS if n in changes), *(n for n in changes if n not in _INFO_FIELDS)]:
        change = changes[name]
        old, new = change if isinstance(change, list | tuple) and len(change) == 2 else (None, change)
        if name in _INFO_FIELDS:
            label, words = _INFO_FIELDS[name]
            field_label, old_text, new_text = label(), words(old), words(new)
        else:
            field_label, old_text, new_text = name, str(old), str(new)
        parts.append(_("%(field)s: %(old)s → %(new)s", field=field_label, old=old_text, new=new_text))
    if not parts:
        return _("Dossier info changed")
    return _("Dossier info changed: %(changes)s", changes="; ".join(parts))


def _details(event: AuditEvent, forms: FormRegistry) -> list[ReadableValue]:
    d = event.detail or {}
    if event.kind != "task_completed" or not d.get("form_key") or not forms.has(d["form_key"]):
        return []
    return readable_values(
        forms.get(d["form_key"]), d.get("data") or {},
        format_date=lambda day: format_date(day, "medium"),
        yes_no=(_("yes"), _("no")),
    )


def dossier_trail(session: Session, dossier_id: int, forms: FormRegistry, page: int = 1) -> TrailPage:
    """One page of the dossier's history, newest first."""
    condition = (AuditEvent.subject_type == "dossier", AuditEvent.subject_id == dossier_id)
    total = session.scalar(select(func.count(AuditEvent.id)).where(*condition)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = list(session.scalars(
        select(AuditEvent).where(*condition)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ))
    names = _Names(session, events)
    entries = [
        TrailEntry(
            at=event.at,
            kind=event.kind,
            actor=names.user(event.actor_id) if event.actor_id else _("Guichet (automatic)"),
            text=_describe(event, names),
            details=_details(event, forms),
        )
        for event in events
    ]
    return TrailPage(entries=entries, page=page, pages=pages, total=total)
