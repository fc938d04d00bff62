"""Commands on dossiers: open one (alone or as a follow-up in a customer journey), deactivate,
reactivate and delete."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.cases.dossier_info import clean_info
from engine.cases.models import Dossier, DossierPhase, DossierSubtype, DossierType, NumberSequence
from engine.cases.subtypes import process_key_for
from engine.db import utcnow
from engine.workflow.errors import InvalidState, NotFound
from engine.workflow.models import AuditEvent, InstanceStatus
from engine.workflow.runtime import WorkflowEngine

_PREFIX = {
    DossierType.INFORMATION: "INF",
    DossierType.REQUESTS_AND_LOANS: "REQ",
    DossierType.ADVICE: "ADV",
    DossierType.PROJECT_DESIGN: "PRJ",
    DossierType.EXECUTION: "EXE",
    DossierType.LOAN: "LOA",
    DossierType.PREMIUMS: "PRM",
}

_ENDED = (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)


class DossierRefused(InvalidState):
    """The dossier cannot be opened or changed as asked; the message says why."""


def _next_value(session: Session, name: str, first: int = 1) -> int:
    """The next value of the counter ``name``, incremented with one UPDATE … RETURNING, so two
    transactions never draw the same value (the second waits for the first one's row lock)."""
    increment = (
        update(NumberSequence)
        .where(NumberSequence.name == name)
        .values(value=NumberSequence.value + 1)
        .returning(NumberSequence.value)
    )
    value = session.scalar(increment)
    if value is None:
        try:
            with session.begin_nested():
                session.add(NumberSequence(name=name, value=first))
            value = first
        except IntegrityError:  # created by a concurrent transaction meanwhile
            value = session.scalar(increment)
    return value


def next_number(session: Session, dossier_type: DossierType) -> str:
    """Numbers like INF-2026-00042: per type and year, readable on the phone."""
    name = f"{_PREFIX[DossierType(dossier_type)]}-{utcnow().year}"
    return f"{name}-{_next_value(session, name):05d}"


def next_follow_up_number(session: Session, root: Dossier) -> str:
    """The follow-ups of journey INF-2026-00042 are INF-2026-00042/2, /3, …: the first dossier
    of the journey is implicitly /1, and the number says at once which journey a dossier is in
    (seed 001 §3.1.3). The counter is the journey's own row in number_sequences."""
    return f"{root.number}/{_next_value(session, f'journey:{root.number}', first=2)}"


def _check_subtype(session: Session, dossier_type: DossierType, subtype_id: int | None) -> None:
    if subtype_id is None:
        return
    subtype = session.get(DossierSubtype, subtype_id)
    if subtype is None or subtype.type != dossier_type.value:
        raise DossierRefused("This subtype does not belong to the dossier type.")
    if not subtype.active:
        raise DossierRefused("This subtype is deactivated: it can no longer be chosen for a new dossier.")


def open_dossier(
    session: Session,
    engine: WorkflowEngine,
    dossier_type: DossierType,
    title: str,
    *,
    user_id: int | None,
    description: str | None = None,
    subtype_id: int | None = None,
    source: str | None = None,
    offer_presentation: str | None = None,
    main_project: str | None = None,
    additional_projects: list[str] | None = None,
    follow_up_of: Dossier | None = None,
) -> Dossier:
    """Create a dossier and start its process in the same transaction. With ``follow_up_of``, the
    dossier joins that dossier's journey: it points to the journey's first dossier and takes a
    number derived from it. The general information (source, offer presentation, projects) is
    optional; :func:`engine.cases.dossier_info.clean_info` says what is refused."""
    dossier_type = DossierType(dossier_type)
    _check_subtype(session, dossier_type, subtype_id)
    offer_presentation, main_project, additional = clean_info(offer_presentation, main_project,
                                                              additional_projects)
    root: Dossier | None = None
    if follow_up_of is not None:
        root = follow_up_of if follow_up_of.journey_id is None else session.get(Dossier, follow_up_of.journey_id)
        assert root is not None
    dossier = Dossier(
        number=next_follow_up_number(session, root) if root else next_number(session, dossier_type),
        type=dossier_type.value,
        subtype_id=subtype_id,
        title=title.strip(),
        description=description,
        source=source or None,
        offer_presentation=offer_presentation,
        main_project=main_project,
        additional_projects=additional,
        journey_id=root.id if root else None,
        created_by_id=user_id,
    )
    session.add(dossier)
    session.flush()
    subtype = session.get(DossierSubtype, subtype_id) if subtype_id is not None else None
    instance = engine.start(
        session,
        process_key_for(dossier_type.value, subtype),
        data={"dossier_id": dossier.id, "dossier_number": dossier.number, "title": dossier.title},
        subject=("dossier", dossier.id),
        user_id=user_id,
    )
    dossier.process_instance_id = instance.id
    dossier.process_instance = instance
    return dossier


def _get(session: Session, dossier_id: int) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"Dossier {dossier_id} does not exist.")
    return dossier


def _record(session: Session, dossier: Dossier, kind: str, user_id: int | None, **detail: object) -> None:
    session.add(AuditEvent(instance_id=dossier.process_instance_id, subject_type="dossier", subject_id=dossier.id,
                           actor_id=user_id, kind=kind, detail=detail, at=utcnow()))


def set_dossier_active(session: Session, dossier_id: int, active: bool, *, user_id: int | None) -> Dossier:
    """Deactivate (hide from the default lists, keep everything) or reactivate a dossier."""
    dossier = _get(session, dossier_id)
    if dossier.active != active:
        dossier.active = active
        _record(session, dossier, "dossier_reactivated" if active else "dossier_deactivated", user_id)
    return dossier


def delete_dossier(session: Session, engine: WorkflowEngine, dossier_id: int, *, user_id: int | None) -> str:
    """Delete a dossier for good (the caller checks the administrator role). A running process
    is terminated first (its open tasks are cancelled); the instance and the audit trail stay,
    with a ``dossier_deleted`` event that names what was deleted. The first dossier of a journey
    that still has follow-ups is refused. Returns the deleted number."""
    dossier = _get(session, dossier_id)
    if session.scalar(select(Dossier.id).where(Dossier.journey_id == dossier.id).limit(1)) is not None:
        raise DossierRefused("This dossier starts a customer journey that has follow-up dossiers: delete "
                             "those first.")
    instance = dossier.process_instance
    if instance is not None and instance.status not in _ENDED:
        engine.terminate(session, instance.id, user_id=user_id, reason=f"dossier {dossier.number} deleted")
    number = dossier.number
    _record(session, dossier, "dossier_deleted", user_id, number=number, type=dossier.type, title=dossier.title)
    # deactivated first, so that the flush listeners take its phases out of the monitoring
    # figures (dwell histograms, open rows) before the rows go
    dossier.active = False
    session.flush()
    session.execute(delete(DossierPhase).where(DossierPhase.dossier_id == dossier.id))
    session.expunge(dossier)
    session.execute(delete(Dossier).where(Dossier.id == dossier_id))
    return number


__all__ = ["DossierRefused", "delete_dossier", "next_number", "open_dossier", "set_dossier_active"]
