"""The system views shipped with Guichet, seeded once per key.

Names are English message ids; the web layer shows them translated. ``me`` and ``today`` in a
filter value stand for the signed-in user and the current date when the view is shown."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.views.commands import ViewDefinition
from engine.views.models import SavedView, ViewScope, ViewSeedMark


def _cols(*keys: str) -> list[dict[str, object]]:
    return [{"key": key, "width": None} for key in keys]


DOSSIER_COLUMNS = _cols("number", "title", "type", "phase", "status", "contact", "street", "city", "created_at")
TASK_COLUMNS = _cols("name", "dossier_number", "dossier_title", "dossier_type", "phase", "queue", "assignee",
                     "due_at")
MAIL_COLUMNS = _cols("received_at", "sender", "subject", "queue", "assignee", "dossier_number")

# seed key -> (entity, name, definition)
SYSTEM_VIEWS: dict[str, tuple[str, str, ViewDefinition]] = {
    "dossiers.open": ("dossiers", "Open dossiers", ViewDefinition(
        DOSSIER_COLUMNS, "-created_at", ["active:eq:true", "status:in:running|waiting|error|suspended"])),
    "dossiers.advice": ("dossiers", "Advice dossiers", ViewDefinition(
        DOSSIER_COLUMNS, "title", ["type:eq:advice", "active:eq:true"])),
    "contacts.active": ("contacts", "Active contacts", ViewDefinition(
        _cols("last_name", "first_name", "email", "phone", "street", "city"), "last_name", ["active:eq:true"])),
    "organisations.contractors": ("organisations", "Contractors", ViewDefinition(
        _cols("name", "enterprise_number", "municipality", "email", "phone"), "name",
        ["kind:eq:contractor", "active:eq:true"])),
    "organisations.associations": ("organisations", "Co-ownership associations", ViewDefinition(
        _cols("name", "enterprise_number", "street", "municipality"), "name", ["kind:eq:co_ownership_association"])),
    "addresses.by_street": ("addresses", "Addresses by street", ViewDefinition(
        _cols("street", "house_number", "box_number", "postcode", "municipality"), "street", [])),
    "works.decided": ("works", "Decided works", ViewDefinition(
        _cols("dossier_number", "work_type", "contractor", "offer_amount", "works_started_on", "works_ended_on"),
        "-works_started_on", ["investment_decided:eq:true"])),
    "tasks.mine": ("tasks", "My tasks", ViewDefinition(TASK_COLUMNS, "due_at", ["assignee:eq:me"])),
    "tasks.overdue": ("tasks", "Overdue tasks", ViewDefinition(TASK_COLUMNS, "due_at", ["due_at:before:today"])),
    "tasks.unassigned": ("tasks", "Tasks nobody has taken", ViewDefinition(
        TASK_COLUMNS, "due_at", ["assignee:hasnot:"])),
    "mails.mine_unlinked": ("mails", "My e-mails without a dossier", ViewDefinition(
        MAIL_COLUMNS, "-received_at", ["assignee:eq:me", "linked:eq:false", "closed:eq:false"])),
    "mails.mine_linked": ("mails", "My e-mails with their dossier", ViewDefinition(
        MAIL_COLUMNS, "-received_at", ["assignee:eq:me", "linked:eq:true", "closed:eq:false"])),
    "mails.central_unlinked": ("mails", "Central inbox: e-mails without a dossier", ViewDefinition(
        MAIL_COLUMNS, "-received_at", ["queue:eq:frontdesk", "linked:eq:false", "closed:eq:false"])),
}


def seed_system_views(session: Session) -> int:
    """Add the shipped views never seeded before (an administrator's deletion stays); idempotent,
    and safe when two processes seed at once (the seed key is unique)."""
    done = set(session.scalars(select(ViewSeedMark.seed_key)))
    added = 0
    for key, (entity, name, definition) in SYSTEM_VIEWS.items():
        if key in done:
            continue
        try:
            with session.begin_nested():
                session.add(ViewSeedMark(seed_key=key))
                session.add(SavedView(entity=entity, name=name, scope=ViewScope.SYSTEM, owner_id=None, seed_key=key,
                                      **definition.as_values()))
                session.flush()
        except IntegrityError:
            continue
        added += 1
    return added


def seeded_view_id(session: Session, key: str) -> int | None:
    return session.scalar(select(SavedView.id).where(SavedView.seed_key == key))
