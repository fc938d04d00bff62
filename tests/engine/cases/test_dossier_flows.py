"""Every dossier type: its diagram deploys, and driving it through its tasks passes its phases in
the declared order (engine/cases/phases.py), records when each was reached, and ends in the last."""

from __future__ import annotations

from itertools import pairwise

import pytest
from sqlalchemy import select

from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.dossiers import open_dossier
from engine.cases.models import Dossier, DossierPhase, DossierType
from engine.cases.phases import PHASE_FLOWS, phase_steps
from engine.db import Database
from engine.workflow.deploy import validate
from engine.workflow.errors import DeploymentError
from engine.workflow.models import AuditEvent, InstanceStatus
from engine.workflow.operators import OperatorRegistry
from engine.workflow.specs import parse_diagram, properties
from forms import registry
from tests.engine.cases.support import DIAGRAMS, complete_next, deploy_all, make_engine


def test_there_is_one_diagram_per_dossier_type() -> None:
    assert sorted(path.stem for path in DIAGRAMS) == sorted(t.value for t in DossierType)


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.stem)
def test_each_diagram_validates_and_declares_its_phases_in_order(path) -> None:
    parsed = parse_diagram(path.read_text(), path.name)
    assert parsed.key == path.stem
    assert validate(parsed, path.name, registry, OperatorRegistry()) == []
    # Walk the sequence from the start event: the milestones come in the declared order.
    spec = parsed.spec
    milestones = []
    current = spec.start
    seen = set()
    while current is not None and current.name not in seen:
        seen.add(current.name)
        phase = properties(current).get("phase")
        if phase:
            milestones.append(phase)
        current = current.outputs[0] if current.outputs else None
    assert milestones == list(PHASE_FLOWS[path.stem])


def test_every_diagram_deploys(db: Database) -> None:
    engine = make_engine()
    with db.transaction() as session:
        deploy_all(session, engine)
    with db.transaction() as session:
        for dossier_type in DossierType:
            assert engine.latest_version(session, dossier_type.value).version == 1


@pytest.mark.parametrize("dossier_type", list(DossierType), ids=lambda t: t.value)
def test_driving_a_dossier_passes_its_phases_in_order(db: Database, dossier_type: DossierType) -> None:
    engine = make_engine()
    with db.transaction() as session:
        deploy_all(session, engine)
        user = create_user(session, "anna@guichet.test", "Anna", "Correct-Horse-42", [Role.CASE_WORKER])
        dossier = open_dossier(session, engine, dossier_type, "Test dossier", user_id=user.id)
        dossier_id, instance_id, user_id = dossier.id, dossier.process_instance_id, user.id
    flow = list(PHASE_FLOWS[dossier_type])
    for _ in range(20):
        with db.transaction() as session:
            if complete_next(session, engine, instance_id, user_id) is None:
                break
    with db.transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        assert (dossier.phase, dossier.status) == (flow[-1], InstanceStatus.COMPLETED)
        entered = [e.detail["phase"] for e in session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance_id, AuditEvent.kind == "phase_entered")
            .order_by(AuditEvent.id))]
        assert entered == flow
        history = list(session.scalars(select(DossierPhase).where(DossierPhase.dossier_id == dossier_id)
                                       .order_by(DossierPhase.id)))
        assert [row.phase for row in history] == flow
        assert all(a.reached_at <= b.reached_at for a, b in pairwise(history))
        steps = phase_steps(session, dossier.type, dossier.id, dossier.phase, completed=True)
        assert [s.state for s in steps] == ["done"] * len(flow)
        assert all(s.reached_at is not None for s in steps)


def test_phase_steps_tell_done_current_and_to_come_with_dates(db: Database) -> None:
    engine = make_engine()
    with db.transaction() as session:
        deploy_all(session, engine)
        user = create_user(session, "anna@guichet.test", "Anna", "Correct-Horse-42", [Role.CASE_WORKER])
        dossier = open_dossier(session, engine, DossierType.LOAN, "Loan", user_id=user.id)
        ids = dossier.id, dossier.process_instance_id, user.id
    with db.transaction() as session:
        complete_next(session, engine, ids[1], ids[2])  # request -> analysis
    with db.transaction() as session:
        dossier = session.get(Dossier, ids[0])
        steps = phase_steps(session, dossier.type, dossier.id, dossier.phase)
        assert [(s.phase, s.state) for s in steps[:3]] == [
            ("request", "done"), ("analysis", "current"), ("decision", "todo")]
        assert steps[0].reached_at is not None and steps[1].reached_at >= steps[0].reached_at
        assert steps[2].reached_at is None


def test_advice_tasks_go_to_the_coach_named_in_the_request(db: Database) -> None:
    engine = make_engine()
    with db.transaction() as session:
        deploy_all(session, engine)
        user = create_user(session, "anna@guichet.test", "Anna", "Correct-Horse-42", [Role.CASE_WORKER])
        coach = create_user(session, "coach@guichet.test", "Coach", "Correct-Horse-42", [Role.CASE_WORKER])
        dossier = open_dossier(session, engine, DossierType.ADVICE, "Advice", user_id=user.id)
        instance_id, user_id, coach_id = dossier.process_instance_id, user.id, coach.id
    with db.transaction() as session:
        complete_next(session, engine, instance_id, user_id)
    with db.transaction() as session:
        from tests.engine.cases.support import ready_task

        task = ready_task(session, instance_id)
        assert (task.bpmn_id, task.assignee_id) == ("prepare_advice", coach_id)


def test_advice_forms_enforce_required_fields() -> None:
    from engine.workflow.errors import FormInvalid

    with pytest.raises(FormInvalid) as refused:
        registry.validate("advice.request", {"request_date": "2026-04-01"})
    assert {"coach_email", "source", "request_summary"} <= set(refused.value.errors)
    with pytest.raises(FormInvalid) as refused:
        registry.validate("advice.themes", {"themes": []})
    assert "themes" in refused.value.errors


def test_every_deployment_checks_the_milestones_against_the_dossier_type(db: Database) -> None:
    """Not only the designer: the engine of the composition root (CLI, `make demo`) refuses a
    milestone naming a phase its dossier type does not have."""
    engine = make_engine()
    information = next(path for path in DIAGRAMS if path.stem == "information")
    wrong = information.read_text().replace('name="phase" value="request"', 'name="phase" value="execution"', 1)
    with db.transaction() as session, pytest.raises(DeploymentError) as refused:
        engine.deploy(session, wrong, information.name)
    assert any(problem.element_id == "phase_request" and "execution" in problem.message
               for problem in refused.value.problems)
