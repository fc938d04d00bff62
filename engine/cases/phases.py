"""The ordered phases ("blue dots") of each dossier type (seed 001 §5.1) and the phase history.

The diagram of each type (bpmn/dossiers/<type>.bpmn) has one milestone per phase, in this
order; tests/engine/cases/test_dossier_flows.py checks that they agree. When an instance whose
subject is a dossier enters a phase, :func:`record_phase` adds a ``dossier_phases`` row in the
same transaction; the engine calls it through ``WorkflowEngine.on_phase`` (see
:func:`install_phase_history`, called by the composition root), so engine/workflow does not
know about dossiers. Reading a dossier's history is one indexed query on ``dossier_id``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier, DossierPhase, DossierType
from engine.db import utcnow
from engine.workflow.models import ProcessInstance
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


def record_phase(session: Session, instance: ProcessInstance, phase: str) -> None:
    """``WorkflowEngine.on_phase`` listener: remember when a dossier reached ``phase``."""
    if instance.subject_type != "dossier" or instance.subject_id is None:
        return
    # The instance's subject is only a label for the engine: record when it is a real dossier
    # (usually already in the session's identity map, so no query).
    if session.get(Dossier, instance.subject_id) is not None:
        session.add(DossierPhase(dossier_id=instance.subject_id, phase=phase, reached_at=utcnow()))


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
