"""bpmn/dossiers/information.bpmn: deployable, drawn, and computing the lead time in working days."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from sqlalchemy import select

import forms.catalog  # noqa: F401 - registers the shipped forms
from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.dossiers import open_dossier
from engine.cases.models import Dossier, DossierType
from engine.db import Database
from engine.workflow.deploy import validate
from engine.workflow.models import HumanTask, HumanTaskState, InstanceStatus
from engine.workflow.operators import OperatorRegistry
from engine.workflow.runtime import WorkflowEngine
from engine.workflow.specs import parse_diagram, properties
from forms import registry

DIAGRAM = Path(__file__).resolve().parents[2] / "bpmn" / "dossiers" / "information.bpmn"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
}


def test_the_diagram_validates_against_the_schema_and_the_forms() -> None:
    parsed = parse_diagram(DIAGRAM.read_text(), DIAGRAM.name)  # XSD-validated

    assert parsed.key == "information"
    assert validate(parsed, DIAGRAM.name, registry, OperatorRegistry()) == []


def test_milestones_mark_the_three_phases_in_order() -> None:
    parsed = parse_diagram(DIAGRAM.read_text(), DIAGRAM.name)
    specs = parsed.spec.task_specs

    phases = [properties(specs[name]).get("phase") for name in ("phase_request", "phase_file", "phase_done")]
    assert phases == ["request", "file", "done"]
    assert properties(specs["register_request"])["formKey"] == "information.request"
    assert properties(specs["answer_and_refer"])["formKey"] == "information.answer"
    assert specs["register_request"].lane == "frontdesk"


def test_every_flow_node_is_drawn() -> None:
    root = etree.parse(str(DIAGRAM)).getroot()
    process = root.find("bpmn:process", NS)
    assert process.get("isExecutable") == "true"
    drawn = {shape.get("bpmnElement") for shape in root.iterfind(".//bpmndi:BPMNShape", NS)}
    drawn |= {edge.get("bpmnElement") for edge in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    elements = {el.get("id") for el in process if el.get("id") and not el.tag.endswith("laneSet")}

    assert elements - drawn == set()


def test_lead_time_counts_belgian_working_days(db: Database) -> None:
    engine = WorkflowEngine(forms=registry)
    with db.transaction() as session:
        engine.deploy(session, DIAGRAM.read_text(), DIAGRAM.name)
        user = create_user(session, "anna@guichet.test", "Anna", "Correct-Horse-42", [Role.CASE_WORKER])
        dossier = open_dossier(session, engine, DossierType.INFORMATION, "Roof", user_id=user.id)
    with db.transaction() as session:
        task = session.scalar(select(HumanTask).where(HumanTask.state == HumanTaskState.READY))
        # Friday 3 April 2026, then Tuesday 7 April: Easter Monday (6 April) is a legal holiday.
        engine.complete(session, task.id, {
            "question_types": ["technical_question"], "question_summary": "Roof insulation",
            "request_date": "2026-04-03", "source": "counter", "first_action": "information_given",
            "first_action_date": "2026-04-07",
        }, user_id=user.id)
    with db.transaction() as session:
        instance = session.get(Dossier, dossier.id).process_instance
        assert instance.phase == "file"
        assert engine.task_data(instance)["lead_time_working_days"] == 1
        task = session.scalar(select(HumanTask).where(HumanTask.state == HumanTaskState.READY))
        assert task.bpmn_id == "answer_and_refer"
        engine.complete(session, task.id, {"answer": "Explained", "referral_product": "none"}, user_id=user.id)
    with db.transaction() as session:
        instance = session.get(Dossier, dossier.id).process_instance
        assert (instance.phase, instance.status) == ("done", InstanceStatus.COMPLETED)
