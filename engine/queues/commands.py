"""Seeding, administering queues (audited), membership queries and dispatching a human task to
another queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.db import utcnow
from engine.queues.models import Queue, queue_members
from engine.workflow import audit
from engine.workflow.errors import ConflictError, InvalidState, NotFound
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState

# seed 001 §2.2 (the seven queues), plus the lanes drawn in bpmn/dossiers. The central inbox is
# the diagrams' ``frontdesk`` lane and the Loan queue their ``loans`` lane, so tasks of those lanes
# land in them; ``coaches`` and ``premiums`` stay queues of their own.
# (code, FR, NL, EN, description, rules)
SEED_QUEUES: list[tuple[str, str, str, str, str, str]] = [
    ("frontdesk", "Habiter & Énergie (H&E)", "Wonen & Energie (W&E)", "Housing & Energy (H&E) central inbox",
     "Messages received at woon-en-energieloket@mechelen.be; the front desk.",
     "General dispatching to the other queues."),
    ("energy", "Énergie (H&E)", "Energie (W&E)", "Energy (H&E)",
     "General questions about energy.",
     "Questions to the energy desk, MijnVerbouwpremie, MijnVerbouwbegeleiding, energy sharing."),
    ("housing", "Logement (H&E)", "Wonen (W&E)", "Housing (H&E)",
     "Everything handled by the Housing department.", "Dispatching to other colleagues."),
    ("apartments", "Appartements (H&E)", "Appartementen (W&E)", "Apartments (H&E)",
     "Services for apartments and co-ownerships.",
     "Dispatching to the renovation coaches and other colleagues."),
    ("neighbourhood_renovation", "Rénovation de quartier (H&E)", "Wijkrenovatie (W&E)",
     "Neighbourhood renovation (H&E)", "Neighbourhood renovation projects.",
     "Dispatching to the renovation coaches and other colleagues."),
    ("adaptation", "Adaptation (H&E)", "Adaptatie (W&E)", "Adaptation (H&E)",
     "Climate adaptation.",
     "Street garden adoption, neighbourhood compost, green garlands, de-paving, rubble bags, tile garden."),
    ("loans", "Prêt (H&E)", "Lening (W&E)", "Loan (H&E)", "Everything about loans.",
     "Dispatching to the loan colleagues."),
    ("coaches", "Coaches en rénovation", "Renovatiecoaches", "Renovation coaches",
     "Tasks of the renovation coaches (lane of the dossier diagrams).", ""),
    ("premiums", "Primes et subsides", "Premies en subsidies", "Premiums & subsidies",
     "Premium and subsidy applications (lane of the dossier diagrams).", ""),
    ("portal", "Accès au portail", "Toegang tot het portaal", "Portal access",
     "Requests of syndics and building managers for portal access (bpmn/portal/access_request.bpmn).",
     "Check the client number and the buildings; approve or refuse with a reason."),
    ("syndic", "Mandats de syndic", "Syndicusmandaten", "Syndic mandates",
     "Syndic mandate requests to file at the enterprise counter (bpmn/syndic/mandate_request.bpmn).",
     "Check the data and documents before the filing deadline; approve or send back with a reason."),
]


def seed_queues(session: Session) -> int:
    """Add the seed queues missing by code; never changes what an administrator edited."""
    existing = set(session.scalars(select(Queue.code)))
    added = 0
    for position, (code, fr, nl, en, description, rules) in enumerate(SEED_QUEUES):
        if code in existing:
            continue
        session.add(Queue(code=code, name_fr=fr, name_nl=nl, name_en=en, description=description,
                          rules=rules, position=position * 10))
        added += 1
    session.flush()
    return added


def all_queues(session: Session, *, active_only: bool = False) -> list[Queue]:
    query = select(Queue)
    if active_only:
        query = query.where(Queue.active.is_(True))
    return list(session.scalars(query.order_by(Queue.position, Queue.code)))


def queue_by_code(session: Session, code: str) -> Queue | None:
    return session.scalar(select(Queue).where(Queue.code == code))


def member_codes(session: Session, user_id: int) -> set[str]:
    """Codes of the queues ``user_id`` is a member of."""
    return set(session.scalars(
        select(Queue.code).join(queue_members, queue_members.c.queue_id == Queue.id)
        .where(queue_members.c.user_id == user_id)))


def is_member(session: Session, code: str, user_id: int) -> bool:
    return code in member_codes(session, user_id)


def dispatch(session: Session, human_task_id: int, *, to_queue: str, by_user_id: int) -> HumanTask:
    """Move an open task to another (active) queue. The assignee is kept only if the target queue
    has them as a member; otherwise the task waits unassigned there. A conditional UPDATE on the
    task's current queue makes two dispatchers at once a conflict for the second."""
    ht = session.get(HumanTask, human_task_id)
    if ht is None:
        raise NotFound(f"Task {human_task_id} does not exist.")
    if ht.state != HumanTaskState.READY:
        raise InvalidState(f"'{ht.name}' is no longer open.")
    target = queue_by_code(session, to_queue)
    if target is None or not target.active:
        raise InvalidState(f"There is no active queue '{to_queue}'.")
    previous = ht.queue
    if previous == to_queue:
        return ht
    keep = ht.assignee_id is not None and any(m.id == ht.assignee_id for m in target.members)
    values: dict[str, object] = {"queue": to_queue}
    if not keep:
        values.update(assignee_id=None, claimed_at=None, claimed_by_id=None)
    current = HumanTask.queue.is_(None) if previous is None else HumanTask.queue == previous
    result = session.execute(
        update(HumanTask)
        .where(HumanTask.id == ht.id, current, HumanTask.state == HumanTaskState.READY)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(ht)
        raise ConflictError(f"'{ht.name}' was just moved or completed by someone else.")
    previous_assignee = ht.assignee_id
    session.refresh(ht)
    audit.record(session, ht.instance, "task_dispatched", by_user_id, task=ht.bpmn_id, name=ht.name,
                 human_task=ht.id, **{"from": previous, "to": to_queue},
                 previous_assignee=previous_assignee, assignee=ht.assignee_id)
    return ht


EDITABLE_FIELDS = ("code", "name_fr", "name_nl", "name_en", "description", "rules")


def _audit_queue(session: Session, queue: Queue, kind: str, user_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(subject_type="queue", subject_id=queue.id, actor_id=user_id, kind=kind,
                           detail=detail, at=utcnow()))


def save_queue(session: Session, queue_id: int | None, values: dict[str, Any], *, by_user_id: int | None,
               active: bool | None = None) -> Queue:
    """Create or change a queue (validated ``values``: the editable fields, ``responsible_id``,
    ``member_ids``); every change is audited with its old and new values."""
    queue = session.get(Queue, queue_id) if queue_id else None
    created = queue is None
    if queue is None:
        queue = Queue(position=1000)
        session.add(queue)
    changes: dict[str, list[Any]] = {}
    for name in EDITABLE_FIELDS:
        if getattr(queue, name, None) != values[name]:
            changes[name] = [getattr(queue, name, None), values[name]]
            setattr(queue, name, values[name])
    if queue.responsible_id != values["responsible_id"]:
        changes["responsible_id"] = [queue.responsible_id, values["responsible_id"]]
        queue.responsible_id = values["responsible_id"]
    ids = set(values["member_ids"])
    before = {member.id for member in queue.members} if not created else set()
    if ids != before:
        changes["member_ids"] = [sorted(before), sorted(ids)]
        queue.members = list(session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
    if active is not None and queue.active != active:
        changes["active"] = [queue.active, active]
        queue.active = active
    session.flush()
    if created or changes:
        _audit_queue(session, queue, "queue_created" if created else "queue_changed", by_user_id, changes=changes)
    return queue


def set_queue_active(session: Session, queue_id: int, active: bool, *, by_user_id: int | None) -> Queue:
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise NotFound(f"Queue {queue_id} does not exist.")
    if queue.active != active:
        queue.active = active
        _audit_queue(session, queue, "queue_activated" if active else "queue_deactivated", by_user_id)
    return queue
