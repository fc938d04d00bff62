"""The ordered phases ("blue dots") of each dossier type (seed 001 §5.1) and the phase history.

The diagram of each type (bpmn/dossiers/<type>.bpmn) has one milestone per phase, in this
order; tests/engine/cases/test_dossier_flows.py checks that they agree. When an instance whose
subject is a dossier enters a phase, :func:`record_phase` adds a ``dossier_phases`` row in the
same transaction; the engine calls it through ``WorkflowEngine.on_phase`` (see
:func:`install_phase_history`, called by the composition root), so engine/workflow does not
know about dossiers. Reading a dossier's history is one indexed query on ``dossier_id``.
Reaching a phase also closes the row of the phase left (``left_at``): the monitoring's dwell
times read the time between the two. The current row of an open dossier carries the dossier's
type (``open_type``), which the phase board reads alone; it is cleared when the process ends or
the dossier is deactivated (a flush listener, :func:`_keep_open_rows`), set again on reactivation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, event, inspect, null, select, update
from sqlalchemy.orm import Session

from engine.cases.models import Dossier, DossierPhase, DossierType
from engine.db import utcnow
from engine.monitoring.dwell_rollup import count_left_phases
from engine.workflow.models import InstanceStatus, ProcessInstance
from engine.workflow.runtime import WorkflowEngine

PHASE_FLOWS: dict[str, tuple[str, ...]] = {
    DossierType.INFORMATION: ("request", "file", "done"),
    DossierType.REQUESTS_AND_LOANS: ("request", "in_progress", "done"),
    DossierType.ADVICE: ("request", "advice", "customer_survey", "done"),
    DossierType.PROJECT_DESIGN: ("request", "further_studies", "quote_request", "done"),
    DossierType.EXECUTION: ("request", "preparation", "execution", "customer_survey", "done"),
    DossierType.LOAN: ("request", "analysis", "decision", "signature", "collection", "in_circulation", "done"),
    DossierType.PREMIUMS: ("p10_submitted", "p20_processing", "p30_decision", "p40_report", "p50_payment",
                           "p60_done"),
}


ENDED_STATUSES = (InstanceStatus.COMPLETED.value, InstanceStatus.TERMINATED.value)


def record_phase(session: Session, instance: ProcessInstance, phase: str) -> None:
    """``WorkflowEngine.on_phase`` listener: remember when a dossier reached ``phase``."""
    if instance.subject_type != "dossier" or instance.subject_id is None:
        return
    # The instance's subject is only a label for the engine: record when it is a real dossier
    # (usually already in the session's identity map, so no query).
    dossier = session.get(Dossier, instance.subject_id)
    if dossier is None:
        return
    now = utcnow()
    # The phase it was in ends now (its row's left_at), so that the time spent in each phase is
    # one subtraction for the dwell times and the current phase is the one row not left.
    # (The ORM UPDATE flushes first: a row added earlier in this transaction is closed too.)
    left = session.execute(update(DossierPhase)
                           .where(DossierPhase.dossier_id == dossier.id, DossierPhase.left_at.is_(None))
                           .values(left_at=now, open_type=None)
                           .returning(DossierPhase.phase, DossierPhase.reached_at)
                           .execution_options(synchronize_session="fetch")).all()
    # ... and counts in the dwell-time histogram, in the same transaction (dwell_rollup.py)
    count_left_phases(session, dossier, left, now)
    is_open = dossier.active and instance.status not in ENDED_STATUSES
    session.add(DossierPhase(dossier_id=dossier.id, phase=phase, reached_at=now,
                             open_type=dossier.type if is_open else None))


def refresh_open_rows(connection: Connection | Session, dossier_ids: Iterable[int]) -> None:
    """Set ``open_type`` of these dossiers' current rows from what the dossier and its instance
    say now: the type when the dossier is active and its process has not ended, else None."""
    ids = sorted(set(dossier_ids))
    if not ids:
        return
    phases = DossierPhase.__table__
    dossiers, instances = Dossier.__table__, ProcessInstance.__table__
    state = (select(case((and_(dossiers.c.active.is_(True), instances.c.status.not_in(ENDED_STATUSES)),
                          dossiers.c.type), else_=null()))
             .select_from(dossiers.join(instances, instances.c.id == dossiers.c.process_instance_id))
             .where(dossiers.c.id == phases.c.dossier_id).scalar_subquery())
    connection.execute(update(phases).where(phases.c.dossier_id.in_(ids), phases.c.left_at.is_(None))
                       .values(open_type=state))


def _keep_open_rows(session: Session, _flush_context: object) -> None:
    """After a flush that ended a dossier's process or (de)activated a dossier, bring its
    current row's ``open_type`` in line. Runs inside the flush, so in the same transaction;
    the objects' change history still tells what this flush changed."""
    touched: set[int] = set()
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, ProcessInstance):
            if obj.subject_type == "dossier" and obj.subject_id is not None and \
                    inspect(obj).attrs.status.history.has_changes():
                touched.add(obj.subject_id)
        elif isinstance(obj, Dossier) and obj.id is not None:
            attrs = inspect(obj).attrs  # (de)activated, or linked to its instance (open_dossier)
            if attrs.active.history.has_changes() or attrs.process_instance_id.history.has_changes():
                touched.add(obj.id)
    if touched:
        refresh_open_rows(session.connection(), touched)


if not event.contains(Session, "after_flush", _keep_open_rows):
    event.listen(Session, "after_flush", _keep_open_rows)


# Fills ``left_at`` of the rows written before it existed: each row is left when the dossier's
# next row (by reached_at, then id) was reached; a dossier's last row stays open. UPDATE … FROM
# with a window function: valid on PostgreSQL and SQLite >= 3.33. For the migration that adds
# the column (tests/engine/monitoring/test_phase_board.py runs it on both databases).
LEFT_AT_BACKFILL_SQL = """
UPDATE dossier_phases SET left_at = later.next_reached_at
FROM (SELECT id, LEAD(reached_at) OVER (PARTITION BY dossier_id ORDER BY reached_at, id) AS next_reached_at
      FROM dossier_phases) AS later
WHERE later.id = dossier_phases.id AND later.next_reached_at IS NOT NULL AND dossier_phases.left_at IS NULL
"""


# Fills ``open_type`` of the current rows of open dossiers (after LEFT_AT_BACKFILL_SQL), for the
# same migration; valid on PostgreSQL and SQLite >= 3.33.
OPEN_TYPE_BACKFILL_SQL = """
UPDATE dossier_phases SET open_type = d.type
FROM dossiers AS d JOIN process_instances AS pi ON pi.id = d.process_instance_id
WHERE d.id = dossier_phases.dossier_id AND dossier_phases.left_at IS NULL AND d.active
  AND pi.status NOT IN ('completed', 'terminated')
"""


def install_phase_history(engine: WorkflowEngine) -> WorkflowEngine:
    if record_phase not in engine.on_phase:
        engine.on_phase.append(record_phase)
    engine.phase_flows = PHASE_FLOWS
    return engine


@dataclass(frozen=True)
class PhaseStep:
    phase: str
    state: str  # done | current | todo
    reached_at: dt.datetime | None


def phase_steps(session: Session, dossier_type: str, dossier_id: int, current: str | None,
                completed: bool = False) -> list[PhaseStep]:
    """The phases of the dossier's type, each done, current or to come, with the date it was
    (last) reached. A completed dossier's last phase counts as done."""
    flow = PHASE_FLOWS.get(dossier_type, ())
    reached: dict[str, dt.datetime] = {}
    for phase, at in session.execute(
        select(DossierPhase.phase, DossierPhase.reached_at)
        .where(DossierPhase.dossier_id == dossier_id).order_by(DossierPhase.reached_at, DossierPhase.id)
    ):
        reached[phase] = at
    index = flow.index(current) if current in flow else -1
    steps = []
    for position, phase in enumerate(flow):
        if position < index or (position == index and completed):
            state = "done"
        elif position == index:
            state = "current"
        else:
            state = "todo"
        steps.append(PhaseStep(phase, state, reached.get(phase) if state != "todo" else None))
    return steps
