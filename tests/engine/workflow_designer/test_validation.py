"""The designer's checks: every problem of a diagram at once, each with the element to mark."""

from __future__ import annotations

import pytest

from engine.workflow.deploy import check
from engine.workflow.diagram_checks import timer_problem
from engine.workflow.errors import DeploymentError

from .support import LINEAR, flow, gateway, process, user_task


def problems(engine, xml: str) -> dict[str | None, list[str]]:
    _parsed, found = check(xml, "draft.bpmn", forms=engine.forms, operators=engine.operators)
    out: dict[str | None, list[str]] = {}
    for problem in found:
        out.setdefault(problem.element_id, []).append(problem.message)
    return out


def test_a_correct_diagram_has_no_problem(engine):
    assert problems(engine, LINEAR) == {}
    assert problems(engine, gateway()) == {}


def test_a_branch_without_condition_is_marked_on_the_flow(engine):
    found = problems(engine, gateway(default=None))
    assert list(found) == ["f_no"]
    (message,) = found["f_no"]
    assert "'Big?' (gw)" in message and "no condition" in message and "default flow" in message


def test_an_empty_condition_counts_as_missing(engine):
    assert list(problems(engine, gateway(default="f_no", yes_condition="  "))) == ["f_yes"]


def test_unreachable_and_dead_end_elements(engine):
    xml = process(
        '<bpmn:startEvent id="s"/>' + flow("f1", "s", "t") + user_task("t") + flow("f2", "t", "e")
        + '<bpmn:endEvent id="e"/>'
        + user_task("orphan") + flow("f3", "orphan", "e")  # nothing leads to it
        + user_task("stuck")  # nothing leads to it, nothing leaves it
        + '<bpmn:parallelGateway id="fork"/>' + flow("f5", "e0", "fork")
        + flow("f6", "fork", "hanging") + user_task("hanging")  # reached, but the path stops there
        + flow("f7", "fork", "e") + '<bpmn:startEvent id="e0"/>'
    )
    found = problems(engine, xml)
    assert any("unreachable" in m for m in found["orphan"])
    assert any("unreachable" in m for m in found["stuck"])
    assert any("dead end" in m for m in found["hanging"])
    assert not {"s", "t", "e", "e0", "fork"} & set(found)


def test_boundary_events_are_reached_through_their_activity(engine):
    xml = process(
        '<bpmn:startEvent id="s"/>' + flow("f1", "s", "t") + user_task("t") + flow("f2", "t", "e")
        + '<bpmn:endEvent id="e"/>'
        + '<bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:timerEventDefinition>'
        + '<bpmn:timeDuration>"P2D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
        + flow("f3", "b", "e2") + '<bpmn:endEvent id="e2"/>'
    )
    assert problems(engine, xml) == {}


def test_unsupported_elements_are_named(engine):
    xml = process(
        '<bpmn:startEvent id="s"/>' + flow("f1", "s", "cg") + '<bpmn:complexGateway id="cg"/>'
        + flow("f2", "cg", "e") + '<bpmn:endEvent id="e"/>'
    )
    found = problems(engine, xml)
    assert any("complex gateway (complexGateway)" in m for m in found["cg"])


def test_compensation_events_are_named(engine):
    xml = process(
        '<bpmn:startEvent id="s"/>' + flow("f1", "s", "c")
        + '<bpmn:intermediateThrowEvent id="c"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>'
        + flow("f2", "c", "e") + '<bpmn:endEvent id="e"/>'
    )
    assert any("compensation event" in m for m in problems(engine, xml)["c"])


@pytest.mark.parametrize(
    ("kind", "value", "fragment"),
    [
        ("timeDuration", "PT2H", 'must be quoted: "PT2H"'),
        ("timeDuration", '"two hours"', "not a valid ISO 8601 timeDuration"),
        ("timeDate", '"2026-13-45"', "not a valid ISO 8601 timeDate"),
        ("timeCycle", '"PT1H"', "not a valid ISO 8601 timeCycle"),
        ("timeDuration", "", "has no value"),
    ],
)
def test_invalid_timer_values(kind, value, fragment):
    assert fragment in (timer_problem(kind, value) or "")


@pytest.mark.parametrize(
    ("kind", "value"),
    [("timeDuration", '"P5D"'), ("timeDate", '"2026-12-31T09:00:00+01:00"'), ("timeCycle", '"R3/PT1H"'),
     ("timeDate", "follow_up_at"), ("timeDuration", "f\"P{days}D\"")],
)
def test_valid_timer_values(kind, value):
    assert timer_problem(kind, value) is None


def test_timer_problem_is_marked_on_its_event(engine):
    xml = process(
        '<bpmn:startEvent id="s"/>' + flow("f1", "s", "wait")
        + '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        + "<bpmn:timeDuration>P3D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        + flow("f2", "wait", "e") + '<bpmn:endEvent id="e"/>'
    )
    assert problems(engine, xml) == {"wait": ['timer value P3D must be quoted: "P3D"']}


def test_structural_and_registry_problems_come_together(engine):
    xml = process(
        '<bpmn:startEvent id="s"/>' + flow("f1", "s", "t") + user_task("t", form_key="no.such.form")
        + user_task("orphan") + flow("f2", "t", "e") + flow("f3", "orphan", "e") + '<bpmn:endEvent id="e"/>'
    )
    found = problems(engine, xml)
    assert any("not registered" in m for m in found["t"])
    assert any("unreachable" in m for m in found["orphan"])


def test_schema_errors_still_report_the_structure(engine):
    xml = process(
        '<bpmn:startEvent id="s" bogus="1"/>' + flow("f1", "s", "t") + user_task("t")
    )
    found = problems(engine, xml)
    assert "s" in found or None in found
    assert any("dead end" in m for m in found["t"])


def test_deploy_refuses_what_check_finds(db, engine):
    with pytest.raises(DeploymentError) as err, db.transaction() as s:
        engine.deploy(s, gateway(default=None), "draft.bpmn")
    assert [p.element_id for p in err.value.problems] == ["f_no"]


PHASES = {"information": ["request", "file", "done"]}


def _milestone_process(key: str, phase: str, dossier_type: str | None = None) -> str:
    prop = (
        f'<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="dossierType" '
        f'value="{dossier_type}"/></spiffworkflow:properties></bpmn:extensionElements>'
        if dossier_type else ""
    )
    body = (
        prop + '<bpmn:startEvent id="s"/>' + flow("f1", "s", "m")
        + '<bpmn:intermediateThrowEvent id="m"><bpmn:extensionElements><spiffworkflow:properties>'
        + f'<spiffworkflow:property name="phase" value="{phase}"/></spiffworkflow:properties>'
        + "</bpmn:extensionElements></bpmn:intermediateThrowEvent>" + flow("f2", "m", "e") + '<bpmn:endEvent id="e"/>'
    )
    return process(body, key=key)


def _check(engine, xml: str, **kwargs) -> list:
    return check(xml, "x.bpmn", forms=engine.forms, operators=engine.operators, phase_flows=PHASES, **kwargs)[1]


def test_milestones_must_be_phases_of_the_dossier_type(engine):
    assert _check(engine, _milestone_process("information", "file")) == []
    assert _check(engine, _milestone_process("my_flow", "done", dossier_type="information")) == []
    (wrong,) = _check(engine, _milestone_process("my_flow", "signature", dossier_type="information"))
    assert wrong.element_id == "m" and "not a phase of dossier type information" in wrong.message
    (unknown,) = _check(engine, _milestone_process("my_flow", "done", dossier_type="holiday"))
    assert unknown.element_id == "my_flow" and "unknown dossier type 'holiday'" in unknown.message
    assert _check(engine, _milestone_process("free_flow", "anything")) == []  # no dossier type: no rule


def test_the_edited_key_must_stay_the_key(engine):
    (problem,) = _check(engine, LINEAR, expected_key="other")
    assert problem.element_id == "p" and "you are editing 'other'" in problem.message
    assert _check(engine, LINEAR, expected_key="p") == []


def test_registry_problems_are_reported_even_when_the_parser_refuses_the_file(engine):
    """SpiffWorkflow stops at a branch without condition; the unknown form and operator are still named."""
    xml = gateway(default=None).replace('value="test.note"', 'value="no.such.form"', 1)
    found = problems(engine, xml)
    assert any("no condition" in m for m in found["f_no"])
    assert any("'no.such.form' is not registered" in m for m in found["big"])
    service = process(
        '<bpmn:startEvent id="s"/>' + flow("f1", "s", "gw") + '<bpmn:exclusiveGateway id="gw"/>'
        + flow("fa", "gw", "call") + flow("fb", "gw", "e")
        + '<bpmn:serviceTask id="call"><bpmn:extensionElements>'
        + '<spiffworkflow:serviceTaskOperator id="no.such.operator"/></bpmn:extensionElements></bpmn:serviceTask>'
        + flow("f2", "call", "e") + '<bpmn:endEvent id="e"/>'
    )
    found = problems(engine, service)
    assert "fa" in found and "fb" in found
    assert any("'no.such.operator' is not registered" in m for m in found["call"])
