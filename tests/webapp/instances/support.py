"""A small diagram for the instance-viewer tests: a script that fails when told to (an incident),
two user tasks (a token to look at, to move and to migrate) and variants of it as newer versions."""

from __future__ import annotations

from typing import Any

from engine.workflow.models import ProcessInstance
from tests.webapp.designer.support import HEADER, properties
from webapp.bootstrap import Services

KEY = "viewer_check"
FORM = "information.request"


def _user_task(task_id: str, name: str, incoming: str, outgoing: str) -> str:
    return (f'<bpmn:userTask id="{task_id}" name="{name}">{properties(formKey=FORM, queue="frontdesk")}'
            f"<bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>{outgoing}</bpmn:outgoing></bpmn:userTask>")


def diagram(*, with_first_task: bool = True, with_second_task: bool = True, second_name: str = "Answer") -> str:
    """start -> compute (1 / divisor) -> [first: Check the roof] -> [second] -> end."""
    if not with_second_task:
        return HEADER + f"""<bpmn:process id="{KEY}" name="Viewer check" isExecutable="true">
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
  <bpmn:scriptTask id="compute" name="Compute" scriptFormat="python">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:script>ratio = 1 / divisor</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="first" />
  {_user_task("first", "Check the roof", "f2", "f4")}
  <bpmn:sequenceFlow id="f4" sourceRef="first" targetRef="end" />
  <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
</bpmn:process>
</bpmn:definitions>"""
    after_compute = "first" if with_first_task else "second"
    first = (_user_task("first", "Check the roof", "f2", "f3")
             + '<bpmn:sequenceFlow id="f3" sourceRef="first" targetRef="second" />') if with_first_task else ""
    second_in = "f3" if with_first_task else "f2"
    return HEADER + f"""<bpmn:process id="{KEY}" name="Viewer check" isExecutable="true">
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
  <bpmn:scriptTask id="compute" name="Compute" scriptFormat="python">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:script>ratio = 1 / divisor</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="{after_compute}" />
  {first}
  {_user_task("second", second_name, second_in, "f4")}
  <bpmn:sequenceFlow id="f4" sourceRef="second" targetRef="end" />
  <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
</bpmn:process>
</bpmn:definitions>"""


def deploy(services: Services, xml: str | None = None) -> int:
    """Deploy ``xml`` (the default diagram) and return the version's id."""
    with services.db.transaction() as session:
        return services.engine.deploy(session, xml or diagram(), f"{KEY}.bpmn").version.id


def start(services: Services, divisor: int = 1, **kwargs: Any) -> int:
    """A new instance; ``divisor=0`` makes the script fail (an open incident)."""
    with services.db.transaction() as session:
        instance: ProcessInstance = services.engine.start(session, KEY, data={"divisor": divisor}, **kwargs)
        return instance.id
