"""Why each entry of the unsupported lists in engine/workflow/diagram_checks.py is there: a small
diagram with the element, run on plain SpiffWorkflow 3.2, is refused or silently does the wrong
thing; and Guichet's checks name it (name and id) before anyone deploys it. The elements that do
run are checked too, so the lists stay exactly what SpiffWorkflow cannot do."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.workflow.deploy import check
from engine.workflow.errors import DeploymentError
from engine.workflow.operators import OperatorRegistry
from engine.workflow.scripting import ScriptEngine
from engine.workflow.specs import parse_diagram

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://t">
<bpmn:signal id="sig" name="Sig"/><bpmn:escalation id="esc" name="Esc" escalationCode="E1"/>
<bpmn:error id="err" name="Err" errorCode="E1"/>
<bpmn:process id="p" isExecutable="true">"""


def diagram(body: str) -> str:
    return f"{HEAD}{body}</bpmn:process></bpmn:definitions>"


def flows(*ids: str) -> str:
    return "".join(f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>' for a, b in pairwise(ids))


def run(xml: str) -> tuple[BpmnWorkflow, list[str]]:
    """Run on SpiffWorkflow alone, completing every manual task; the ids of the completed tasks."""
    parsed = parse_diagram(xml, "x.bpmn")
    wf = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=ScriptEngine())
    wf.do_engine_steps()
    for _ in range(20):
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        if task is None:
            break
        task.run()
        wf.do_engine_steps()
    return wf, [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id]


def named(xml: str, element_id: str, words: str) -> None:
    _parsed, problems = check(xml, "x.bpmn", forms=None, operators=OperatorRegistry())
    messages = [p.message for p in problems if p.element_id == element_id]
    assert any(words in m and "'Named'" in m for m in messages), problems


LINK = diagram('<bpmn:startEvent id="s"/><bpmn:manualTask id="a"/>'
               '<bpmn:intermediateThrowEvent id="lt" name="Named"><bpmn:linkEventDefinition name="L"/>'
               '</bpmn:intermediateThrowEvent><bpmn:intermediateCatchEvent id="lc">'
               '<bpmn:linkEventDefinition name="L"/></bpmn:intermediateCatchEvent>'
               '<bpmn:manualTask id="b"/><bpmn:endEvent id="e"/>' + flows("s", "a", "lt") + flows("lc", "b", "e"))
SIGNAL_END = diagram('<bpmn:startEvent id="s"/><bpmn:parallelGateway id="pg"/>'
                     '<bpmn:endEvent id="se" name="Named"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:endEvent>'
                     '<bpmn:intermediateCatchEvent id="sc"><bpmn:signalEventDefinition signalRef="sig"/>'
                     '</bpmn:intermediateCatchEvent><bpmn:manualTask id="b"/><bpmn:endEvent id="e"/>'
                     + flows("s", "pg", "se") + flows("pg", "sc", "b", "e"))
COMPENSATION_THROW = diagram(
    '<bpmn:startEvent id="s"/><bpmn:manualTask id="a"/>'
    '<bpmn:intermediateThrowEvent id="ct" name="Named"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>'
    '<bpmn:endEvent id="e"/>' + flows("s", "a", "ct", "e"))
COMPENSATION_BOUNDARY = diagram(
    '<bpmn:startEvent id="s"/><bpmn:scriptTask id="a"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
    '<bpmn:boundaryEvent id="cb" name="Named" attachedToRef="a"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>'
    '<bpmn:scriptTask id="undo" name="Named" isForCompensation="true"><bpmn:script>x = 0</bpmn:script>'
    '</bpmn:scriptTask>'
    '<bpmn:endEvent id="e"/>' + flows("s", "a", "e") + '<bpmn:association id="as" sourceRef="cb" targetRef="undo"/>')
COMPLEX = diagram('<bpmn:startEvent id="s"/><bpmn:complexGateway id="g" name="Named"/><bpmn:endEvent id="e"/>'
                  + flows("s", "g", "e"))
AD_HOC = diagram('<bpmn:startEvent id="s"/><bpmn:adHocSubProcess id="ah" name="Named"><bpmn:manualTask id="m1"/>'
                 '<bpmn:completionCondition>True</bpmn:completionCondition></bpmn:adHocSubProcess>'
                 '<bpmn:endEvent id="e"/>' + flows("s", "ah", "e"))
NO_TRIGGER = diagram('<bpmn:startEvent id="s"/><bpmn:manualTask id="a"/>'
                     '<bpmn:boundaryEvent id="bb" name="Named" attachedToRef="a"/><bpmn:endEvent id="e"/>'
                     '<bpmn:endEvent id="e2"/>' + flows("s", "a", "e") + flows("bb", "e2"))


def test_link_events_end_the_process_early() -> None:
    wf, completed = run(LINK)
    assert wf.is_completed() and "b" not in completed  # the catching side never ran
    named(LINK, "lt", "link event (linkEventDefinition)")


def test_a_signal_end_event_throws_nothing() -> None:
    wf, completed = run(SIGNAL_END)
    assert not wf.is_completed() and "b" not in completed  # the catch waits for ever
    named(SIGNAL_END, "se", "signal end event (signalEventDefinition)")


def test_a_compensation_throw_compensates_nothing() -> None:
    wf, completed = run(COMPENSATION_THROW)
    assert wf.is_completed() and completed == ["s", "a", "ct", "e"]
    named(COMPENSATION_THROW, "ct", "compensation event (compensateEventDefinition)")


@pytest.mark.parametrize(("xml", "element_id", "words"), [
    (COMPENSATION_BOUNDARY, "cb", "compensation event (compensateEventDefinition)"),
    (COMPLEX, "g", "complex gateway (complexGateway)"),
    (NO_TRIGGER, "bb", "a boundary event needs a trigger"),
], ids=["compensation boundary", "complex gateway", "boundary without trigger"])
def test_refused_by_the_parser(xml: str, element_id: str, words: str) -> None:
    with pytest.raises(DeploymentError) as refused:
        parse_diagram(xml, "x.bpmn")
    assert refused.value.problems[0].element_id == element_id
    named(xml, element_id, words)
    _parsed, problems = check(xml, "x.bpmn", forms=None, operators=OperatorRegistry())
    assert not any("NotImplementedError" in p.message for p in problems)  # Guichet's words, not the parser's


def test_compensation_activities_are_named() -> None:
    named(COMPENSATION_BOUNDARY, "undo", "compensation activity (isForCompensation)")


def test_an_ad_hoc_sub_process_waits_for_a_choice_nobody_can_make() -> None:
    wf, _completed = run(AD_HOC)
    assert not wf.is_completed() and not wf.get_tasks(state=TaskState.READY)
    named(AD_HOC, "ah", "ad-hoc sub-process (adHocSubProcess)")
    _parsed, problems = check(AD_HOC, "x.bpmn", forms=None, operators=OperatorRegistry())
    assert not any("unreachable" in p.message for p in problems)  # its activities have no flows by design


SUPPORTED = {
    "conditional catch": '<bpmn:startEvent id="s"/><bpmn:scriptTask id="sc"><bpmn:script>x = 5</bpmn:script>'
    '</bpmn:scriptTask><bpmn:intermediateCatchEvent id="c"><bpmn:conditionalEventDefinition>'
    '<bpmn:condition>x &gt; 3</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>'
    '<bpmn:manualTask id="b"/><bpmn:endEvent id="e"/>' + flows("s", "sc", "c", "b", "e"),
    "escalation": '<bpmn:startEvent id="s"/><bpmn:subProcess id="sp"><bpmn:startEvent id="ss"/>'
    '<bpmn:intermediateThrowEvent id="et"><bpmn:escalationEventDefinition escalationRef="esc"/>'
    '</bpmn:intermediateThrowEvent><bpmn:endEvent id="se"/>' + flows("ss", "et", "se") + '</bpmn:subProcess>'
    '<bpmn:boundaryEvent id="eb" attachedToRef="sp" cancelActivity="false"><bpmn:escalationEventDefinition '
    'escalationRef="esc"/></bpmn:boundaryEvent><bpmn:manualTask id="b"/><bpmn:endEvent id="e"/>'
    '<bpmn:endEvent id="e2"/>' + flows("s", "sp", "e") + flows("eb", "b", "e2"),
    "error event sub-process": '<bpmn:startEvent id="s"/><bpmn:manualTask id="a"/><bpmn:endEvent id="ee">'
    '<bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent><bpmn:subProcess id="esp" triggeredByEvent="true">'
    '<bpmn:startEvent id="es"><bpmn:errorEventDefinition errorRef="err"/></bpmn:startEvent><bpmn:manualTask id="b"/>'
    '<bpmn:endEvent id="ese"/>' + flows("es", "b", "ese") + "</bpmn:subProcess>" + flows("s", "a", "ee"),
    "signal throw and catch": '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="pg"/><bpmn:manualTask id="w"/>'
    '<bpmn:intermediateThrowEvent id="st"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:intermediateThrowEvent>'
    '<bpmn:endEvent id="e3"/><bpmn:intermediateCatchEvent id="sc"><bpmn:signalEventDefinition signalRef="sig"/>'
    '</bpmn:intermediateCatchEvent><bpmn:manualTask id="b"/><bpmn:endEvent id="e"/>'
    + flows("s", "pg", "w", "st", "e3") + flows("pg", "sc", "b", "e"),
}


@pytest.mark.parametrize("name", sorted(SUPPORTED))
def test_what_spiffworkflow_runs_is_not_reported(name: str) -> None:
    xml = diagram(SUPPORTED[name])
    wf, completed = run(xml)
    assert wf.is_completed() and "b" in completed
    _parsed, problems = check(xml, "x.bpmn", forms=None, operators=OperatorRegistry())
    assert not any("cannot execute" in p.message for p in problems), problems


def test_guichet_runs_its_checks_on_a_result_it_can_read(engine: Any) -> None:
    """The structural check also names the element when SpiffWorkflow refuses the file outright."""
    _parsed, problems = check(COMPLEX, "x.bpmn", forms=engine.forms, operators=engine.operators)
    assert [p.element_id for p in problems] == ["g"]
