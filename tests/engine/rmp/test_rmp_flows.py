"""§6.1 and §6.2: the RMP subtypes run their own diagrams with the phases of their type; the
"Interest in the renovation master plan" dossier has the four predefined tasks from its creation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases.dossiers import open_dossier
from engine.cases.models import Dossier, DossierPhase, DossierType
from engine.cases.phases import PHASE_FLOWS
from engine.db import Database
from engine.workflow.deploy import validate
from engine.workflow.models import AuditEvent, InstanceStatus
from engine.workflow.operators import OperatorRegistry
from engine.workflow.specs import parse_diagram
from forms import registry
from tests.engine.cases.support import make_engine
from tests.engine.rmp.support import (
    PREDEFINED,
    SUBTYPE_DIAGRAMS,
    complete,
    deploy_everything,
    open_tasks,
    subtype_id,
    worker,
)


def test_the_subtype_diagrams_validate_with_the_shipped_forms() -> None:
    assert [p.stem for p in SUBTYPE_DIAGRAMS] == ["advice_rmp", "information_rmp_interest"]
    for path in SUBTYPE_DIAGRAMS:
        parsed = parse_diagram(path.read_text(), path.name)
        assert parsed.key == path.stem
        assert validate(parsed, path.name, registry, OperatorRegistry()) == []


def _open(db: Database, dossier_type: DossierType, code: str | None):
    engine = make_engine()
    with db.transaction() as session:
        deploy_everything(session, engine)
        user_id = worker(session)
        sid = subtype_id(session, dossier_type.value, code) if code else None
        dossier = open_dossier(session, engine, dossier_type, "Résidence Les Tilleuls", user_id=user_id,
                               subtype_id=sid)
        return engine, dossier.id, dossier.process_instance_id, user_id


def test_the_interest_subtype_opens_the_four_predefined_tasks_at_creation(db: Database) -> None:
    _engine, dossier_id, instance_id, _user = _open(db, DossierType.INFORMATION, "renovation_master_plan")
    with db.transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        assert dossier.process_instance.process_key == "information_rmp_interest"
        assert dossier.phase == "request"
        tasks = open_tasks(session, instance_id)
        assert sorted(t.bpmn_id for t in tasks) == sorted([*PREDEFINED, "register_request"])
        by_id = {t.bpmn_id: t for t in tasks}
        assert by_id["syndic_meeting"].form_key == "rmp.syndic_meeting"
        assert by_id["syndic_meeting"].name == "Preliminary meeting with the syndic"
        assert all(t.queue == "frontdesk" and t.due_at is not None for t in tasks)


@pytest.mark.parametrize("code", [None, "technical_question"])
def test_other_information_dossiers_have_no_predefined_tasks(db: Database, code: str | None) -> None:
    _engine, _dossier_id, instance_id, _user = _open(db, DossierType.INFORMATION, code)
    with db.transaction() as session:
        assert [t.bpmn_id for t in open_tasks(session, instance_id)] == ["register_request"]


def test_the_answer_waits_for_the_four_tasks_then_the_dossier_closes(db: Database) -> None:
    engine, dossier_id, instance_id, user_id = _open(db, DossierType.INFORMATION, "renovation_master_plan")
    with db.transaction() as session:
        register = next(t for t in open_tasks(session, instance_id) if t.bpmn_id == "register_request")
        complete(session, engine, register, user_id)
    with db.transaction() as session:
        assert session.get(Dossier, dossier_id).phase == "file"
        assert sorted(t.bpmn_id for t in open_tasks(session, instance_id)) == PREDEFINED
    for bpmn_id in PREDEFINED:
        with db.transaction() as session:
            tasks = open_tasks(session, instance_id)
            assert "answer_and_refer" not in [t.bpmn_id for t in tasks]
            complete(session, engine, next(t for t in tasks if t.bpmn_id == bpmn_id), user_id)
    with db.transaction() as session:
        tasks = open_tasks(session, instance_id)
        assert [t.bpmn_id for t in tasks] == ["answer_and_refer"]
        data = engine.task_data(session.get(Dossier, dossier_id).process_instance)
        # the branches' answers meet at the join, each under its own name
        assert data["syndic_meeting_date"] == "2026-04-02"
        assert data["information_session_attendees"] == 23
        assert data["lead_time_working_days"] == 1  # 3 → 7 April 2026: Easter Monday between
        complete(session, engine, tasks[0], user_id)
    with db.transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        assert (dossier.phase, dossier.status) == ("done", InstanceStatus.COMPLETED)
        phases = [p for (p,) in session.execute(select(DossierPhase.phase).where(
            DossierPhase.dossier_id == dossier_id).order_by(DossierPhase.id))]
        assert phases == list(PHASE_FLOWS[DossierType.INFORMATION])
        completed = [e.detail["task"] for e in session.scalars(
            select(AuditEvent).where(AuditEvent.subject_type == "dossier", AuditEvent.subject_id == dossier_id,
                                     AuditEvent.kind == "task_completed").order_by(AuditEvent.id))]
        assert completed == ["register_request", *PREDEFINED, "answer_and_refer"]


def test_the_predefined_tasks_may_be_done_before_the_request_is_registered(db: Database) -> None:
    engine, dossier_id, instance_id, user_id = _open(db, DossierType.INFORMATION, "renovation_master_plan")
    for bpmn_id in PREDEFINED:
        with db.transaction() as session:
            complete(session, engine, next(t for t in open_tasks(session, instance_id) if t.bpmn_id == bpmn_id),
                     user_id)
    with db.transaction() as session:
        assert session.get(Dossier, dossier_id).phase == "request"
        assert [t.bpmn_id for t in open_tasks(session, instance_id)] == ["register_request"]
        complete(session, engine, open_tasks(session, instance_id)[0], user_id)
    with db.transaction() as session:
        assert session.get(Dossier, dossier_id).phase == "file"
        assert [t.bpmn_id for t in open_tasks(session, instance_id)] == ["answer_and_refer"]


def test_the_rmp_advice_subtype_runs_its_own_diagram_through_the_advice_phases(db: Database) -> None:
    engine, dossier_id, instance_id, user_id = _open(db, DossierType.ADVICE, "renovation_master_plan")
    with db.transaction() as session:
        assert session.get(Dossier, dossier_id).process_instance.process_key == "advice_rmp"
    done = []
    for _ in range(10):
        with db.transaction() as session:
            tasks = open_tasks(session, instance_id)
            if not tasks:
                break
            assert len(tasks) == 1
            done.append(tasks[0].bpmn_id)
            complete(session, engine, tasks[0], user_id)
    assert done == ["assign_coach", "support_application", "follow_elaboration", "survey"]
    with db.transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        assert (dossier.phase, dossier.status) == ("done", InstanceStatus.COMPLETED)
        phases = [p for (p,) in session.execute(select(DossierPhase.phase).where(
            DossierPhase.dossier_id == dossier_id).order_by(DossierPhase.id))]
        assert phases == list(PHASE_FLOWS[DossierType.ADVICE])


def test_other_advice_subtypes_keep_the_advice_diagram(db: Database) -> None:
    _engine, dossier_id, _instance, _user = _open(db, DossierType.ADVICE, "renovation_advice")
    with db.transaction() as session:
        assert session.get(Dossier, dossier_id).process_instance.process_key == "advice"


def test_every_subtype_process_has_its_diagram_and_a_seeded_subtype() -> None:
    from engine.cases.subtypes import SEED_SUBTYPES, SUBTYPE_PROCESSES

    seeded = {(dossier_type.value, code) for dossier_type, code, *_rest in SEED_SUBTYPES}
    assert set(SUBTYPE_PROCESSES) <= seeded
    assert sorted(SUBTYPE_PROCESSES.values()) == [p.stem for p in SUBTYPE_DIAGRAMS]
