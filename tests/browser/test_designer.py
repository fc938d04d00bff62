"""The process designer in real Chromium: create a process, add a user task from the palette and
make it one with the context pad, choose its form in Guichet's panel, validate (the problems are
marked on the task), fix the flow, validate again, deploy with a comment, see it in the history."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.access.models import Role
from engine.db import Database
from engine.workflow.models import ProcessVersion
from tests.webapp.support import DEFAULT_PASSWORD, create_user

pytestmark = pytest.mark.browser


def shape(page: Any, element_id: str) -> Any:
    return page.locator(f'g.djs-element[data-element-id="{element_id}"]')


def element_type(page: Any, element_id: str) -> str:
    return page.evaluate(f"() => GuichetDesigner.modeler.get('elementRegistry').get('{element_id}').type")


def point_in(page: Any, element_id: str) -> tuple[float, float]:
    """A point inside a shape's upper part: its middle is where flows arrive and context pads open."""
    box = shape(page, element_id).bounding_box()
    return box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.25


def select_shape(page: Any, element_id: str) -> None:
    canvas = page.locator("#designer-canvas").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] - 40, canvas["y"] + 40)  # empty canvas: nothing selected
    page.mouse.click(*point_in(page, element_id))


def connect(page: Any, source: str, target: str) -> None:
    """The context pad's connect tool: click it, then hover and click the target."""
    select_shape(page, source)
    page.locator('.djs-context-pad [data-action="connect"]').click()
    x, y = point_in(page, target)
    page.mouse.move(x - 5, y - 5, steps=3)
    page.mouse.move(x, y, steps=3)
    page.mouse.click(x, y)


def test_design_validate_fix_and_deploy(live_server: str, browser_page: Any, db: Database) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    user = create_user(db, Role.PROCESS_DESIGNER, name="Dana Designer", locale="en")

    page.goto(f"{live_server}/login?next=/designer/")
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Process designer")

    # a new process opens in the modeler from the template
    page.fill("#new-key", "roof_check")
    page.fill("#new-name", "Roof check")
    page.get_by_role("button", name="Create and open in the modeler").click()
    expect(page.locator("body[data-designer-ready=true]")).to_have_count(1)
    expect(page.locator("#designer-opened")).to_contain_text("Draft opened")
    expect(shape(page, "start")).to_be_visible()

    # add a task from the palette, below the start-to-end flow, and make it a user task
    page.locator('.djs-palette [data-action="create.task"]').click()
    box = page.locator("#designer-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 90)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 90)
    page.locator('.djs-context-pad [data-action="replace"]').click()
    page.locator('[data-id="replace-with-user-task"]').click()
    task_id = page.evaluate(
        "() => GuichetDesigner.modeler.get('elementRegistry').filter(e => e.type === 'bpmn:UserTask')[0].id"
    )
    expect(shape(page, task_id)).to_be_visible()

    # undo turns it back into a plain task, redo into a user task again
    page.locator('[data-designer-action="undo"]').click()
    assert element_type(page, task_id) == "bpmn:Task"
    page.locator('[data-designer-action="redo"]').click()
    assert element_type(page, task_id) == "bpmn:UserTask"
    # and the keyboard shortcuts work on the canvas
    select_shape(page, task_id)
    page.keyboard.press("Control+z")
    assert element_type(page, task_id) == "bpmn:Task"
    page.keyboard.press("Control+y")
    assert element_type(page, task_id) == "bpmn:UserTask"

    # Guichet's panel: the form comes from the forms registry
    select_shape(page, task_id)
    expect(page.locator(".designer-panel__what")).to_contain_text("UserTask")
    page.get_by_label("Form", exact=True).select_option("information.request")
    expect(page.locator(".designer-form-fields")).to_be_visible()

    # validate: the unconnected task is marked on the diagram with its problems
    page.locator('[data-designer-action="validate"]').click()
    expect(page.locator(f'.guichet-problem-badge[data-problem-for="{task_id}"]')).to_be_visible()
    expect(page.locator("#designer-problems")).to_contain_text("unreachable")
    expect(page.locator(f'g.djs-element.guichet-problem[data-element-id="{task_id}"]')).to_have_count(1)

    # fix: start -> task -> end, and remove the direct flow
    connect(page, "start", task_id)
    connect(page, task_id, "end")
    canvas = page.locator("#designer-canvas").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] - 40, canvas["y"] + 40)
    line = page.locator('g.djs-connection[data-element-id="flow_start"]').bounding_box()
    page.mouse.click(line["x"] + line["width"] * 0.75, line["y"] + line["height"] / 2)
    expect(page.locator(".designer-panel__what")).to_contain_text("flow_start")
    page.locator('.djs-context-pad [data-action="delete"]').click()
    page.locator('[data-designer-action="validate"]').click()
    expect(page.locator("#designer-problems")).to_have_text("No problem found.")
    expect(page.locator(".guichet-problem-badge")).to_have_count(0)

    # save a draft, then deploy with a comment; the version appears in the history
    page.locator('[data-designer-action="save-draft"]').click()
    expect(page.locator("#designer-status")).to_contain_text("Draft saved.")
    page.fill("#designer-comment", "Register the request first")
    page.get_by_role("button", name="Deploy", exact=True).click()
    expect(page.locator("#designer-status")).to_contain_text("Version 1 of roof_check deployed.")
    history = page.locator('#designer-history li[data-version="1"]')
    expect(history).to_contain_text("Dana Designer")
    expect(history).to_contain_text("Register the request first")

    with db.transaction() as session:
        version = session.scalar(select(ProcessVersion).where(ProcessVersion.key == "roof_check"))
        assert version.version == 1 and version.comment == "Register the request first"
        assert 'name="formKey" value="information.request"' in version.bpmn_xml
    assert errors == []


SHAPES = {"start": (100, 100, 36, 36), "compute": (190, 78, 100, 80), "gw": (345, 93, 50, 50),
          "milestone": (460, 100, 36, 36), "wait": (460, 240, 36, 36), "end": (600, 100, 36, 36)}
EDGES = {"f1": [(136, 118), (190, 118)], "f2": [(290, 118), (345, 118)], "f_soon": [(395, 118), (460, 118)],
         "f_later": [(370, 143), (370, 258), (460, 258)], "f3": [(496, 118), (600, 118)],
         "f4": [(496, 258), (618, 258), (618, 136)]}


def _drawing() -> str:
    shapes = "".join(
        f'<bpmndi:BPMNShape id="{i}_di" bpmnElement="{i}"><dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/>'
        "</bpmndi:BPMNShape>"
        for i, (x, y, w, h) in SHAPES.items()
    )
    edges = "".join(
        f'<bpmndi:BPMNEdge id="{i}_di" bpmnElement="{i}">'
        + "".join(f'<di:waypoint x="{x}" y="{y}"/>' for x, y in points) + "</bpmndi:BPMNEdge>"
        for i, points in EDGES.items()
    )
    return shapes + edges


# the diagram drawn without any Guichet property: the panel adds them all
SKELETON = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="Definitions_panel" targetNamespace="http://t">
  <bpmn:process id="panel_check" name="Panel check" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="compute" name="Compute"/>
    <bpmn:exclusiveGateway id="gw" name="Soon?"/>
    <bpmn:intermediateThrowEvent id="milestone" name="File"/>
    <bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:timerEventDefinition id="td"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="gw"/>
    <bpmn:sequenceFlow id="f_soon" sourceRef="gw" targetRef="milestone"/>
    <bpmn:sequenceFlow id="f_later" sourceRef="gw" targetRef="wait"/>
    <bpmn:sequenceFlow id="f3" sourceRef="milestone" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="end"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="panel_check">{_drawing()}
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def select_connection(page: Any, flow_id: str) -> None:
    """Select a flow by its model id (a thin line is a poor click target) and wait for the panel."""
    page.evaluate(
        "id => { const m = GuichetDesigner.modeler; m.get('selection').select(m.get('elementRegistry').get(id)); }",
        flow_id,
    )
    expect(page.locator(".designer-panel__what")).to_contain_text(flow_id)


def test_the_panel_writes_what_the_engine_reads(live_server: str, browser_page: Any, db: Database) -> None:
    """Operator and parameters, gateway condition and default flow, timer, milestone phase and dossier
    type, all chosen in the panel, deploy as a valid version whose XML holds the engine's elements."""
    page = browser_page
    user = create_user(db, Role.ADMINISTRATOR, name="Ada Admin", locale="en")
    page.goto(f"{live_server}/login?next=/designer/")
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.fill("#new-key", "panel_check")
    page.get_by_role("button", name="Create and open in the modeler").click()
    expect(page.locator("body[data-designer-ready=true]")).to_have_count(1)
    page.evaluate("xml => GuichetDesigner.modeler.importXML(xml)", SKELETON)
    expect(shape(page, "compute")).to_be_visible()

    # the process: its dossier type
    canvas = page.locator("#designer-canvas").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] - 40, canvas["y"] + 40)
    page.get_by_label("Dossier type").select_option("information")

    # the service task: an operator from the registry, its parameters from the operator's schema
    select_shape(page, "compute")
    page.get_by_label("Operator").select_option("calendar.add_working_days")
    page.get_by_label("Result variable").fill("deadline")
    page.get_by_label("Result variable").press("Tab")
    page.locator('[data-param="start"]').fill("today()")
    page.locator('[data-param="start"]').press("Tab")
    page.locator('[data-param="days"]').fill("3")
    page.locator('[data-param="days"]').press("Tab")

    # the gateway: a condition on one branch, the other the default
    select_connection(page, "f_soon")
    page.get_by_label("Condition", exact=True).fill("len(str(deadline)) > 0")
    page.get_by_label("Condition", exact=True).press("Tab")
    select_connection(page, "f_later")
    page.get_by_label("Default flow (taken when no condition holds)").check()

    # the timer and the milestone
    select_shape(page, "wait")
    page.get_by_label("Timer", exact=True).select_option("timeDuration")
    page.get_by_label("Timer value").fill('"P2D"')
    page.get_by_label("Timer value").press("Tab")
    select_shape(page, "milestone")
    page.get_by_label("Phase reached at this milestone").select_option("file")

    page.locator('[data-designer-action="validate"]').click()
    expect(page.locator("#designer-problems")).to_have_text("No problem found.")
    page.fill("#designer-comment", "Panel check")
    page.get_by_role("button", name="Deploy", exact=True).click()
    expect(page.locator("#designer-status")).to_contain_text("Version 1 of panel_check deployed.")

    with db.transaction() as session:
        xml = session.scalar(select(ProcessVersion.bpmn_xml).where(ProcessVersion.key == "panel_check"))
    assert '<spiffworkflow:property name="dossierType" value="information" />' in xml
    assert '<spiffworkflow:serviceTaskOperator id="calendar.add_working_days" resultVariable="deadline">' in xml
    assert '<spiffworkflow:parameter id="start" type="date" value="today()" />' in xml
    assert '<spiffworkflow:parameter id="days" type="int" value="3" />' in xml
    assert 'default="f_later"' in xml and "len(str(deadline)) &gt; 0</bpmn:conditionExpression>" in xml
    assert '"P2D"</bpmn:timeDuration>' in xml
    assert '<spiffworkflow:property name="phase" value="file" />' in xml


def test_a_deployed_dossier_diagram_opens_and_validates_unchanged(
    live_server: str, browser_page: Any, db: Database
) -> None:
    """The Information dossier (a pool with a lane, milestones, forms) survives the modeler's
    import and export: the panel shows its properties and the exported XML is still valid."""
    page = browser_page
    user = create_user(db, Role.PROCESS_DESIGNER, name="Dana Designer", locale="en")
    page.goto(f"{live_server}/login?next=/designer/processes/information")
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("body[data-designer-ready=true]")).to_have_count(1)
    expect(page.locator("#designer-opened")).to_contain_text("Opened version 1")
    expect(page.locator('#designer-history li[data-version="1"]')).to_be_visible()

    select_shape(page, "register_request")
    expect(page.get_by_label("Form", exact=True)).to_have_value("information.request")
    expect(page.get_by_label("Working days")).to_have_value("2")
    select_shape(page, "phase_file")
    expect(page.get_by_label("Phase reached at this milestone")).to_have_value("file")

    page.locator('[data-designer-action="validate"]').click()
    expect(page.locator("#designer-problems")).to_have_text("No problem found.")
    page.fill("#designer-comment", "Nothing changed")
    page.get_by_role("button", name="Deploy", exact=True).click()
    expect(page.locator("#designer-status")).to_contain_text("Version 2 of information deployed.")
    # bpmn-js writes the XML its own way, but no element of the model changed
    expect(page.locator('#designer-history li[data-version="2"]')).to_contain_text("Only the drawing changed.")
