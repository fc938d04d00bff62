"""Seeding, membership queries and dispatching a human task to another queue."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.queues.models import Queue, queue_members
from engine.workflow import audit
from engine.workflow.errors import ConflictError, InvalidState, NotFound
from engine.workflow.models import HumanTask, HumanTaskState

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
