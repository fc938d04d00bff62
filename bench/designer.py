"""Benchmark of the process designer and the instance viewer on PostgreSQL (issue 5 §7).

    .venv/bin/python bench/designer.py [--scale tiny|small|full] [--samples N] [--explain] [--docs|--no-docs]

``full`` is the recorded figure (a heat map over 100,000 instances); ``small`` (5,000 instances)
is a quick run of the same code, ``tiny`` (500) the test's smoke run.

1. Validate and deploy a 300-element diagram. The database ``guichet_bench_designer``
   (GUICHET_BENCH_DESIGNER_PG_URL) is dropped and created, its tables made by ``create_all``.
   A realistic executable diagram is generated with its BPMNDI drawing (every element has a
   shape, every sequence flow an edge, so bpmn-js opens it): user tasks with form keys of the
   real forms registry, script tasks, service tasks of registered operators, exclusive gateways
   with a condition on every branch, parallel gateways, an expanded sub-process with an
   interrupting boundary timer. Elements are counted as BPMN flow nodes (events, tasks,
   gateways, the sub-process and the nodes inside it, the boundary event) plus sequence flows;
   the process itself and the drawing are not counted. What is timed is what the designer's two
   buttons run, in an app context of an app built like production: "Validate"
   (``webapp/designer/service.problems_of`` = ``engine.workflow.deploy.check`` with the forms
   registry, the operators and PHASE_FLOWS; the diagram must have zero problems, or the bench
   stops) then "Deploy" (``deploy_diagram``: ``deploy`` — which checks again — and the draft
   discarded) in one transaction, including the commit. Each run deploys a changed diagram (its
   name and a threshold), so every run really creates a new version; the first run is a
   warm-up (not measured). ``deploy_300_elements_s`` is the p95 of the runs. As many rounds are
   then sent through the designer's JSON API (``POST /designer/api/validate`` and ``POST
   /designer/api/processes/<key>/deploy``, Flask's test client, signed in as a process designer),
   a second figure for the docs only.
2. The heat map of one version with many instances. A process of 16 flow nodes (user tasks, two
   exclusive gateways, a rework loop, a boundary timer with an escalation path, a service task)
   is deployed twice through the engine; the instances of the second version (the measured one;
   10 % more instances, older, on the first) are simulated by walking the diagram: the start
   event, gateways and scripts entered and left at the same moment, user tasks lasting hours to
   weeks (log-normal), the boundary timer open beside the reviewed task and firing after 10 days
   (the task then cancelled), starts spread over 18 months, ~20 % of the instances still waiting
   at a user task. ``process_instances`` (required columns; ``state`` empty: the heat map never
   loads states) and ``element_visits`` rows as the engine writes them are loaded with COPY,
   their indexes and constraints dropped during the load and created again after it (checked
   identical to ``create_all``), then VACUUM ANALYZE, then ``roll_up_visits`` once (as the beat job
   of a deployment would have). Timed: ``engine.workflow.inspection.heat_map``
   (one session per call, interleaved after a warm-up); ``heatmap_100k_ms`` is the p95. The heat
   map is checked against the tallies the generator kept (passed, waiting, mean duration per
   element). When the web app has a heat-map endpoint (a URL rule whose endpoint names a heat
   map), it is also timed through Flask's test client, signed in as a designer and manager (in
   the docs only).

A section is appended to docs/benchmarks.md at scale full (``--docs`` / ``--no-docs`` to choose);
``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of the heat map's statements. When the heat map
misses its target (or with ``--try-rollup``), a roll-up of the visits is tried on the same rows
and timed (ROLLUP_SETUP / ROLLUP_QUERY below), to show what a change of design would give. The last line of
stdout is one JSON object: ``{"deploy_300_elements_s", "heatmap_100k_ms"}`` (null when not
measured: a heat map that does not exist yet, or one whose result differs from the generated rows).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # run as a script: bench/ would shadow the top-level ``engine`` package
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    sys.path.insert(len([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]), os.path.dirname(_HERE))

import argparse
import datetime as dt
import json
import math
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import psycopg
from lxml import etree

from bench import dossiers as bd
from engine.access.models import Role
from engine.access.users import create_user
from engine.db import Base
from engine.workflow.diagram_checks import BPMN, FLOW_NODES
from engine.workflow.heat_rollup import roll_up_visits
from engine.workflow.models import InstanceStatus, VisitOutcome

ROOT = bd.ROOT
DOCS_PATH = bd.DOCS_PATH
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_bench_designer"
PASSWORD = "Bench-Designer-42"
DIAGRAM_KEY = "designer_bench_300"
HEATMAP_KEY = "designer_bench_heatmap"
ELEMENTS = 300

TARGETS = {  # figure -> (limit, shown)
    "deploy_300_elements_s": (1.0, "< 1 s"),
    "heatmap_100k_ms": (300.0, "< 300 ms"),
}


@dataclass(frozen=True)
class Scale:
    instances: int  # instances of the measured version (10 % more on the older version)
    deploy_runs: int  # measured validate-and-deploy runs (after one warm-up run)
    heat_calls: int  # measured heat-map calls (after the warm-up)
    warmup: int
    http_calls: int  # measured requests of the heat-map page, when the endpoint exists


SCALES = {
    "tiny": Scale(instances=500, deploy_runs=3, heat_calls=5, warmup=1, http_calls=3),
    "small": Scale(instances=5_000, deploy_runs=20, heat_calls=50, warmup=5, http_calls=20),
    "full": Scale(instances=100_000, deploy_runs=30, heat_calls=100, warmup=10, http_calls=50),
}


def pg_url() -> str:
    return os.environ.get("GUICHET_BENCH_DESIGNER_PG_URL", DEFAULT_PG_URL)


# --------------------------------------------------------------------------- diagrams

TASK_SIZE = (100, 80)
EVENT_SIZE = (36, 36)
GATEWAY_SIZE = (50, 50)
TASK_KINDS = {"userTask", "scriptTask", "serviceTask"}
GATEWAY_KINDS = {"exclusiveGateway", "parallelGateway"}
EVENT_KINDS = {"startEvent", "endEvent", "boundaryEvent"}
USER_TASK_NAMES = [
    "Register the request", "Check the documents", "Plan the visit", "Write the report", "Check the quote",
    "Call the applicant", "Record the decision", "Ask for missing documents", "Check the address",
    "Prepare the advice", "Review the file", "Confirm the appointment", "Send the letter", "Check the invoice",
]
SCRIPT_NAMES = ["Compute the fee", "Route the file", "Mark as checked", "Set the due date", "Count the rounds"]


@dataclass
class Node:
    id: str
    kind: str  # BPMN local name: userTask, exclusiveGateway, …
    name: str
    cx: float  # centre of the shape
    cy: float
    scope: str  # id of the process or sub-process that contains it
    props: dict[str, str] = field(default_factory=dict)
    script: str | None = None
    operator: tuple[str, str, list[tuple[str, str, str]]] | None = None  # (id, resultVariable, params)
    timer: str | None = None  # timeDuration expression
    attached_to: str | None = None
    size: tuple[float, float] | None = None  # only the sub-process: its own size

    @property
    def w(self) -> float:
        return self.dims[0]

    @property
    def h(self) -> float:
        return self.dims[1]

    @property
    def dims(self) -> tuple[float, float]:
        if self.size:
            return self.size
        if self.kind in TASK_KINDS:
            return TASK_SIZE
        if self.kind in GATEWAY_KINDS:
            return GATEWAY_SIZE
        return EVENT_SIZE

    @property
    def left(self) -> float:
        return self.cx - self.w / 2

    @property
    def right(self) -> float:
        return self.cx + self.w / 2

    @property
    def top(self) -> float:
        return self.cy - self.h / 2

    @property
    def bottom(self) -> float:
        return self.cy + self.h / 2


@dataclass
class Flow:
    id: str
    source: str
    target: str
    scope: str
    condition: str | None = None
    waypoints: list[tuple[float, float]] = field(default_factory=list)


class Diagram:
    """A process being generated: nodes with their position, flows with their route, then the
    BPMN XML with its BPMNDI drawing."""

    def __init__(self, key: str, name: str) -> None:
        self.key, self.name = key, name
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []

    def add(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"duplicate element id {node.id}")
        self.nodes[node.id] = node
        return node

    def connect(self, source: str, target: str, condition: str | None = None) -> Flow:
        s, t = self.nodes[source], self.nodes[target]
        flow = Flow(f"flow_{len(self.flows) + 1}", source, target, s.scope if s.kind != "boundaryEvent" else t.scope,
                    condition, route(s, t))
        self.flows.append(flow)
        return flow

    def element_count(self) -> int:
        return len(self.nodes) + len(self.flows)

    def xml(self) -> str:
        return diagram_xml(self)


def route(s: Node, t: Node) -> list[tuple[float, float]]:
    """Orthogonal waypoints from ``s`` to ``t``: straight on one line, an elbow between lines
    (out of a gateway by its top or bottom, into a gateway by its top or bottom), around for a
    flow to the start of the next line of the snake. Loops are given their waypoints by hand."""
    if s.kind == "boundaryEvent":
        return [(s.cx, s.bottom), (s.cx, t.cy), (t.left, t.cy)]
    if t.left >= s.right:
        if abs(s.cy - t.cy) < 1:
            return [(s.right, s.cy), (t.left, t.cy)]
        if s.kind in GATEWAY_KINDS:
            return [(s.cx, s.top if t.cy < s.cy else s.bottom), (s.cx, t.cy), (t.left, t.cy)]
        if t.kind in GATEWAY_KINDS:
            return [(s.right, s.cy), (t.cx, s.cy), (t.cx, t.bottom if s.cy > t.cy else t.top)]
        mid = (s.right + t.left) / 2
        return [(s.right, s.cy), (mid, s.cy), (mid, t.cy), (t.left, t.cy)]
    mid_y = (s.cy + t.cy) / 2  # to the start of the next line of the snake
    return [(s.right, s.cy), (s.right + 20, s.cy), (s.right + 20, mid_y), (t.left - 30, mid_y),
            (t.left - 30, t.cy), (t.left, t.cy)]


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _node_xml(d: Diagram, node: Node, indent: str) -> list[str]:
    attrs = f"id={quoteattr(node.id)} name={quoteattr(node.name)}"
    if node.kind == "boundaryEvent":
        attrs += f' attachedToRef={quoteattr(node.attached_to or "")} cancelActivity="true"'
    lines = [f"{indent}<bpmn:{node.kind} {attrs}>"]
    inner = indent + "  "
    if node.props or node.operator:
        lines.append(f"{inner}<bpmn:extensionElements>")
        if node.props:
            lines.append(f"{inner}  <spiffworkflow:properties>")
            lines += [f"{inner}    <spiffworkflow:property name={quoteattr(k)} value={quoteattr(v)}/>"
                      for k, v in node.props.items()]
            lines.append(f"{inner}  </spiffworkflow:properties>")
        if node.operator:
            op_id, result, params = node.operator
            lines.append(f"{inner}  <spiffworkflow:serviceTaskOperator id={quoteattr(op_id)} "
                         f"resultVariable={quoteattr(result)}>")
            lines.append(f"{inner}    <spiffworkflow:parameters>")
            lines += [f"{inner}      <spiffworkflow:parameter id={quoteattr(p)} type={quoteattr(ty)} "
                      f"value={quoteattr(v)}/>" for p, ty, v in params]
            lines.append(f"{inner}    </spiffworkflow:parameters>")
            lines.append(f"{inner}  </spiffworkflow:serviceTaskOperator>")
        lines.append(f"{inner}</bpmn:extensionElements>")
    lines += [f"{inner}<bpmn:incoming>{f.id}</bpmn:incoming>" for f in d.flows if f.target == node.id]
    lines += [f"{inner}<bpmn:outgoing>{f.id}</bpmn:outgoing>" for f in d.flows if f.source == node.id]
    if node.timer is not None:
        lines.append(f"{inner}<bpmn:timerEventDefinition><bpmn:timeDuration>{escape(node.timer)}"
                     "</bpmn:timeDuration></bpmn:timerEventDefinition>")
    if node.kind == "subProcess":
        lines += _scope_xml(d, node.id, inner)
    if node.script is not None:
        lines.append(f"{inner}<bpmn:script>{escape(node.script)}</bpmn:script>")
    lines.append(f"{indent}</bpmn:{node.kind}>")
    return lines


def _scope_xml(d: Diagram, scope: str, indent: str) -> list[str]:
    lines: list[str] = []
    for node in d.nodes.values():
        if node.scope == scope:
            lines += _node_xml(d, node, indent)
    for f in d.flows:
        if f.scope != scope:
            continue
        if f.condition is None:
            lines.append(f"{indent}<bpmn:sequenceFlow id={quoteattr(f.id)} sourceRef={quoteattr(f.source)} "
                         f"targetRef={quoteattr(f.target)}/>")
        else:
            lines.append(f"{indent}<bpmn:sequenceFlow id={quoteattr(f.id)} sourceRef={quoteattr(f.source)} "
                         f"targetRef={quoteattr(f.target)}>")
            lines.append(f'{indent}  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                         f"{escape(f.condition)}</bpmn:conditionExpression>")
            lines.append(f"{indent}</bpmn:sequenceFlow>")
    return lines


def diagram_xml(d: Diagram) -> str:
    """The BPMN 2.0 file: the executable process, then a BPMNDI plane with a shape per node and
    an edge per sequence flow (bpmn-js opens it as drawn)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"',
        '                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"',
        '                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"',
        '                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"',
        '                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        '                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"',
        f'                  id="Definitions_{d.key}" targetNamespace="https://guichet.example/bpmn/bench">',
        f"  <bpmn:process id={quoteattr(d.key)} name={quoteattr(d.name)} isExecutable=\"true\">",
        *_scope_xml(d, d.key, "    "),
        "  </bpmn:process>",
        f'  <bpmndi:BPMNDiagram id="Diagram_{d.key}">',
        f'    <bpmndi:BPMNPlane id="Plane_{d.key}" bpmnElement="{d.key}">',
    ]
    for node in d.nodes.values():
        extra = ' isExpanded="true"' if node.kind == "subProcess" else ""
        extra += ' isMarkerVisible="true"' if node.kind == "exclusiveGateway" else ""
        out.append(f'      <bpmndi:BPMNShape id="{node.id}_di" bpmnElement="{node.id}"{extra}>')
        out.append(f'        <dc:Bounds x="{_fmt(node.left)}" y="{_fmt(node.top)}" width="{_fmt(node.w)}" '
                   f'height="{_fmt(node.h)}"/>')
        out.append("      </bpmndi:BPMNShape>")
    for f in d.flows:
        out.append(f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">')
        out += [f'        <di:waypoint x="{_fmt(x)}" y="{_fmt(y)}"/>' for x, y in f.waypoints]
        out.append("      </bpmndi:BPMNEdge>")
    out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</bpmn:definitions>", ""]
    return "\n".join(out)


def count_elements(bpmn_xml: str) -> tuple[int, int]:
    """(flow nodes, sequence flows) of the executable processes of a file, read from the XML:
    every flow node at any depth (inside sub-processes too) and every sequence flow."""
    root = etree.fromstring(bpmn_xml.encode())
    nodes = flows = 0
    for process in root.iterfind(f"{{{BPMN}}}process"):
        for element in process.iter():
            if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN}}}"):
                continue
            local = element.tag.split("}", 1)[1]
            nodes += local in FLOW_NODES
            flows += local == "sequenceFlow"
    return nodes, flows


# Blocks of the large diagram, by the number of elements each adds (its nodes, its flows and the
# flow that enters it).
BLOCK_ELEMENTS = {"user": 2, "choice2": 9, "choice3": 12, "parallel": 9, "subprocess": 14}
BLOCK_WIDTH = {"user": 150, "choice2": 360, "choice3": 360, "parallel": 360, "subprocess": 560}
ROW_WIDTH = 3000
ROW_PITCH = 480


def block_plan(total: int) -> list[str]:
    """Blocks between the start event (1 element) and the end event (2 with its flow) that make
    exactly ``total`` elements: a cycle of user task / two-way choice / user task / three-way
    choice / parallel split, the sub-process in the middle, then what makes the count exact."""
    remaining = total - 1 - 2 - BLOCK_ELEMENTS["subprocess"]
    cycle = ["user", "choice2", "user", "choice3", "parallel"]
    per_cycle = sum(BLOCK_ELEMENTS[b] for b in cycle)
    if remaining < 0:
        raise ValueError(f"a diagram needs at least {total - remaining} elements")
    plan: list[str] = []
    while remaining >= per_cycle + BLOCK_ELEMENTS["parallel"] + 1:
        plan += cycle
        remaining -= per_cycle
    if remaining % 2:
        if remaining < BLOCK_ELEMENTS["parallel"]:
            raise ValueError(f"cannot make exactly {total} elements")
        plan.append("parallel")
        remaining -= BLOCK_ELEMENTS["parallel"]
    while remaining >= BLOCK_ELEMENTS["choice3"]:
        plan.append("choice3")
        remaining -= BLOCK_ELEMENTS["choice3"]
    plan += ["user"] * (remaining // 2)
    plan.insert(len(plan) // 2, "subprocess")
    return plan


def large_diagram(form_keys: list[str], variant: int = 0, elements: int = ELEMENTS,
                  key: str = DIAGRAM_KEY) -> str:
    """An executable diagram of exactly ``elements`` elements (see the module docstring for how
    they are counted), laid out left to right in lines of a snake. ``variant`` changes the name
    and the first threshold, so that each run deploys a new version. Data at start: ``amount``."""
    if not form_keys:
        raise ValueError("no form keys: the forms registry is empty")
    d = Diagram(key, f"Designer benchmark, {elements} elements (run {variant})")
    counters = {"user": 0, "script": 0}

    def user(node_id: str, cx: float, cy: float, scope: str = key) -> Node:
        n = counters["user"]
        counters["user"] += 1
        return d.add(Node(node_id, "userTask", USER_TASK_NAMES[n % len(USER_TASK_NAMES)], cx, cy, scope,
                          props={"formKey": form_keys[n % len(form_keys)], "dueInWorkingDays": str(2 + n % 9)}))

    def script(node_id: str, cx: float, cy: float, scope: str = key) -> Node:
        n = counters["script"]
        counters["script"] += 1
        return d.add(Node(node_id, "scriptTask", SCRIPT_NAMES[n % len(SCRIPT_NAMES)], cx, cy, scope,
                          script=f"fee_{n} = round(amount * 0.0{1 + n % 9}, 2)\nchecked_{n} = True"))

    x, y = 150.0, 250.0
    start = d.add(Node("start", "startEvent", "Request received", x, y, key))
    previous = start.id
    x += 80
    for index, block in enumerate(block_plan(elements)):
        width = BLOCK_WIDTH[block]
        if x + width > ROW_WIDTH:
            x, y = 200.0, y + ROW_PITCH
        _entry, previous = _block(d, block, index, x, y, previous, user, script, variant)
        x += width
    end = d.add(Node("end", "endEvent", "Done", x + 20, y, key))
    d.connect(previous, end.id)
    if d.element_count() != elements:  # pragma: no cover - block_plan and _block disagree
        raise AssertionError(f"generated {d.element_count()} elements, not {elements}")
    return d.xml()


def _block(d: Diagram, block: str, i: int, x: float, y: float, previous: str,
           user: Callable[..., Node], script: Callable[..., Node], variant: int) -> tuple[str, str]:
    """Add one block at ``x`` (its left) on the line ``y``, entered from ``previous``; returns
    (its entry, its exit)."""
    key = d.key
    if block == "user":
        node = user(f"task_{i}", x + 50, y)
        d.connect(previous, node.id)
        return node.id, node.id
    if block in ("choice2", "choice3", "parallel"):
        kind = "parallelGateway" if block == "parallel" else "exclusiveGateway"
        split = d.add(Node(f"split_{i}", kind, "" if block == "parallel" else f"Amount ({i})?", x + 25, y, key))
        d.connect(previous, split.id)
        threshold = 1000 + 250 * (i % 4) + (variant if i == 1 else 0)
        if block == "choice2":
            branches = [(script(f"script_{i}", x + 180, y - 90), f"amount > {threshold}"),
                        (user(f"check_{i}", x + 180, y + 90), f"amount <= {threshold}")]
        elif block == "choice3":
            service = d.add(Node(f"service_{i}", "serviceTask", "Compute the due date", x + 180, y + 130, key,
                                 operator=("calendar.add_working_days", f"due_{i}",
                                           [("start", "date", "today()"), ("days", "int", str(5 + i % 10))])))
            branches = [(user(f"small_{i}", x + 180, y - 130), f"amount < {threshold}"),
                        (user(f"medium_{i}", x + 180, y), f"{threshold} <= amount < {threshold * 5}"),
                        (service, f"amount >= {threshold * 5}")]
        else:
            branches = [(user(f"branch_a_{i}", x + 180, y - 90), None),
                        (script(f"branch_b_{i}", x + 180, y + 90), None)]
        join = d.add(Node(f"join_{i}", kind, "", x + 335, y, key))
        for node, condition in branches:
            d.connect(split.id, node.id, condition)
            d.connect(node.id, join.id)
        return split.id, join.id
    if block == "subprocess":
        sub = d.add(Node(f"sub_{i}", "subProcess", "Site visit", x + 250, y, key, size=(500, 200)))
        d.connect(previous, sub.id)
        inner_start = d.add(Node(f"sub_{i}_start", "startEvent", "", x + 40, y, sub.id))
        visit = user(f"sub_{i}_visit", x + 140, y, sub.id)
        note = script(f"sub_{i}_note", x + 300, y, sub.id)
        inner_end = d.add(Node(f"sub_{i}_end", "endEvent", "", x + 440, y, sub.id))
        for a, b in ((inner_start, visit), (visit, note), (note, inner_end)):
            d.connect(a.id, b.id)
        timer = d.add(Node(f"sub_{i}_timer", "boundaryEvent", "15 days", x + 60, y + 100, key,
                           timer='"P15D"', attached_to=sub.id))
        escalate = script(f"sub_{i}_escalate", x + 200, y + 170)
        escalate.name = "Escalate the visit"
        escalated = d.add(Node(f"sub_{i}_escalated", "endEvent", "Escalated", x + 330, y + 170, key))
        d.connect(timer.id, escalate.id)
        d.connect(escalate.id, escalated.id)
        return sub.id, sub.id
    raise ValueError(f"unknown block {block!r}")


# The heat-map process: 16 flow nodes a token walks through (ids used by the visit generator).
HEAT_USER_TASKS = ("intake", "check", "review", "decide")


def heatmap_diagram(form_keys: list[str], variant: int = 0, key: str = HEATMAP_KEY) -> str:
    """start → loop join → intake → amount? (expert script | check) → join → review (10-day
    boundary timer → escalate → escalated) → complete? (rework script → loop join | due date
    service → decide → done). Data at start: ``amount``, ``complete``, ``rounds``."""
    d = Diagram(key, f"Designer benchmark, heat map (version {variant})")
    y = 260.0

    def task(node_id: str, name: str, cx: float, cy: float, n: int) -> Node:
        return d.add(Node(node_id, "userTask", name, cx, cy, key, props={"formKey": form_keys[n % len(form_keys)]}))

    d.add(Node("start", "startEvent", "Request received", 150, y, key))
    d.add(Node("loop", "exclusiveGateway", "", 250, y, key))
    task("intake", "Register the request", 370, y, 0)
    d.add(Node("kind", "exclusiveGateway", "Large amount?", 500, y, key))
    d.add(Node("expert", "scriptTask", "Route to an expert", 630, y - 100, key, script='route = "expert"'))
    task("check", "Check the documents", 630, y + 100, 1)
    d.add(Node("kind_join", "exclusiveGateway", "", 760, y, key))
    task("review", "Review the file", 890, y, 2)
    d.add(Node("reminder", "boundaryEvent", "10 days", 890, y + 40, key, timer='"P10D"', attached_to="review"))
    d.add(Node("escalate", "scriptTask", "Escalate", 1010, y + 130, key, script="escalated = True"))
    d.add(Node("escalated", "endEvent", "Escalated", 1140, y + 130, key))
    d.add(Node("complete", "exclusiveGateway", "Complete?", 1020, y, key))
    d.add(Node("rework", "scriptTask", "Count the round", 1020, y - 180, key, script="rounds = rounds + 1"))
    d.add(Node("due", "serviceTask", "Compute the due date", 1150, y, key,
               operator=("calendar.add_working_days", "due", [("start", "date", "today()"), ("days", "int", "10")])))
    task("decide", "Record the decision", 1290, y, 3)
    d.add(Node("done", "endEvent", "Done", 1420, y, key))
    for a, b in (("start", "loop"), ("loop", "intake"), ("intake", "kind")):
        d.connect(a, b)
    d.connect("kind", "expert", f"amount > {1000 + variant}")
    d.connect("kind", "check", f"amount <= {1000 + variant}")
    for a, b in (("expert", "kind_join"), ("check", "kind_join"), ("kind_join", "review"), ("review", "complete"),
                 ("reminder", "escalate"), ("escalate", "escalated")):
        d.connect(a, b)
    d.connect("complete", "rework", "not complete and rounds < 3").waypoints = [(1020, y - 25), (1020, y - 140)]
    d.connect("rework", "loop").waypoints = [(970, y - 180), (250, y - 180), (250, y - 25)]
    d.connect("complete", "due", "complete or rounds >= 3")
    d.connect("due", "decide")
    d.connect("decide", "done")
    return d.xml()


# --------------------------------------------------------------------------- visits


@dataclass
class Visit:
    bpmn_id: str
    entered: float  # seconds from the instance's start
    left: float | None  # None: the token is still there
    outcome: str | None
    actor: bool  # a person completed it


@dataclass
class Tally:
    """What the generator wrote for one element of the measured version."""

    passed: int = 0
    waiting: int = 0
    seconds: float = 0.0  # sum over the passed visits

    @property
    def avg_seconds(self) -> float | None:
        return self.seconds / self.passed if self.passed else None


DAY = 86_400.0
REVIEW_TIMER_S = 10 * DAY
USER_MEDIAN_S = {"intake": 0.5 * DAY, "check": 2 * DAY, "review": 3 * DAY, "decide": 1.5 * DAY}
WAITING_SHARE = 0.20
LARGE_AMOUNT_SHARE = 0.35
COMPLETE_SHARE = 0.85  # a review that finds the file complete (else one more round)


def walk(rng: random.Random) -> list[Visit]:
    """The visits of one instance that went to the end, in the order the engine writes them."""
    visits: list[Visit] = []
    t = 0.0

    def instant(bpmn_id: str) -> None:
        visits.append(Visit(bpmn_id, t, t, VisitOutcome.COMPLETED, False))

    def person(bpmn_id: str) -> float:
        return rng.lognormvariate(math.log(USER_MEDIAN_S[bpmn_id]), 1.0)

    instant("start")
    rounds = 0
    while True:
        instant("loop")
        d = person("intake")
        visits.append(Visit("intake", t, t + d, VisitOutcome.COMPLETED, True))
        t += d
        instant("kind")
        if rng.random() < LARGE_AMOUNT_SHARE:
            instant("expert")
        else:
            d = person("check")
            visits.append(Visit("check", t, t + d, VisitOutcome.COMPLETED, True))
            t += d
        instant("kind_join")
        d = person("review")
        if d > REVIEW_TIMER_S:  # the boundary timer fires: the review is cancelled
            visits.append(Visit("review", t, t + REVIEW_TIMER_S, VisitOutcome.CANCELLED, False))
            visits.append(Visit("reminder", t, t + REVIEW_TIMER_S, VisitOutcome.COMPLETED, False))
            t += REVIEW_TIMER_S
            instant("escalate")
            instant("escalated")
            return visits
        visits.append(Visit("review", t, t + d, VisitOutcome.COMPLETED, True))
        visits.append(Visit("reminder", t, t + d, VisitOutcome.CANCELLED, False))
        t += d
        instant("complete")
        if rng.random() < COMPLETE_SHARE or rounds >= 3:
            break
        rounds += 1
        instant("rework")
    d = rng.uniform(0.05, 3.0)  # the service call, run by the worker
    visits.append(Visit("due", t, t + d, VisitOutcome.COMPLETED, False))
    t += d
    d = person("decide")
    visits.append(Visit("decide", t, t + d, VisitOutcome.COMPLETED, True))
    t += d
    instant("done")
    return visits


def stop_waiting(visits: list[Visit], rng: random.Random) -> tuple[list[Visit], float]:
    """The same instance still waiting at one of the user tasks it reached: the visits up to that
    task, the task (and the boundary timer beside a review) open; returns them and how long the
    task has been waiting (seconds, less than it would take)."""
    stops = [i for i, v in enumerate(visits) if v.bpmn_id in HEAT_USER_TASKS and v.outcome == VisitOutcome.COMPLETED]
    i = rng.choice(stops)
    stop = visits[i]
    kept = visits[:i]
    kept = [v for v in kept if not (v.bpmn_id == "reminder" and v.entered == stop.entered)]
    waited = rng.uniform(0, stop.left - stop.entered)  # type: ignore[operator]
    kept.append(Visit(stop.bpmn_id, stop.entered, None, None, False))
    if stop.bpmn_id == "review":
        kept.append(Visit("reminder", stop.entered, None, None, False))
    return kept, waited


@dataclass
class Generated:
    measured_version_id: int
    older_version_id: int
    instances: int  # of the measured version
    older_instances: int
    waiting_instances: int
    visits: int  # rows for the measured version
    older_visits: int
    tally: dict[str, Tally]
    seconds: float
    steps: dict[str, float]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def load_visits(url: str, version_ids: tuple[int, int], key: str, n: int, workers: list[int],
                log: Callable[[str], None], seed: int = 20261123) -> Generated:
    """``n`` instances of the measured version and n/10 older ones of the earlier version, with
    their visits, written with COPY; indexes and constraints of the two tables dropped during the
    load and restored after it; VACUUM ANALYZE."""
    from bench.workspace import copy_columns, copy_statement

    rng = random.Random(seed)
    t_start = time.perf_counter()
    steps: dict[str, float] = {}
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    measured, older = version_ids
    tally: dict[str, Tally] = {}
    counts = {"instances": 0, "older": 0, "waiting": 0, "visits": 0, "older_visits": 0}
    dsn = bd.libpq_dsn(url)
    tables = Base.metadata.tables
    pi_cols, pi_suffix = copy_columns(tables["process_instances"], [
        "id", "process_version_id", "process_key", "status", "state", "lock_version", "started_at", "updated_at",
        "completed_at"])
    ev_cols, ev_suffix = copy_columns(tables["element_visits"], [
        "id", "instance_id", "process_version_id", "bpmn_id", "task_guid", "entered_at", "left_at", "outcome",
        "actor_id"])
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        dropped = bd.drop_schema_objects(conn, bd.schema_objects(conn), {"process_instances", "element_visits"})
        instance_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM process_instances").fetchone()[0]
        visit_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM element_visits").fetchone()[0]
    steps["drop indexes and constraints"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # psycopg allows one COPY at a time per connection: two connections, one per table
    with psycopg.connect(dsn) as pconn, psycopg.connect(dsn) as vconn:
        with pconn.cursor().copy(copy_statement("process_instances", pi_cols)) as pcopy, \
                vconn.cursor().copy(copy_statement("element_visits", ev_cols)) as vcopy:
            plines: list[str] = []
            vlines: list[str] = []
            for number in range(n + n // 10):
                is_measured = number < n
                version_id = measured if is_measured else older
                visits = walk(rng)
                waiting = is_measured and rng.random() < WAITING_SHARE
                if waiting:
                    visits, waited = stop_waiting(visits, rng)
                    open_since = visits[-1].entered
                    begin = now - dt.timedelta(seconds=open_since + waited)
                else:
                    length = visits[-1].left or 0.0
                    days_ago = rng.uniform(1, 540) if is_measured else rng.uniform(540, 900)
                    begin = now - dt.timedelta(days=days_ago, seconds=length)
                status = InstanceStatus.WAITING if waiting else InstanceStatus.COMPLETED
                last = begin + dt.timedelta(seconds=max(v.left if v.left is not None else v.entered for v in visits))
                completed_at = None if waiting else last
                plines.append(f"{instance_id}\t{version_id}\t{key}\t{status}\t\t1\t{begin.isoformat()}\t"
                              f"{last.isoformat()}\t{bd.esc(completed_at)}{pi_suffix}\n")
                for v in visits:
                    entered = begin + dt.timedelta(seconds=v.entered)
                    left = begin + dt.timedelta(seconds=v.left) if v.left is not None else None
                    actor = rng.choice(workers) if v.actor else None
                    vlines.append(f"{visit_id}\t{instance_id}\t{version_id}\t{v.bpmn_id}\t{_uuid(rng)}\t"
                                  f"{entered.isoformat()}\t{bd.esc(left)}\t{bd.esc(v.outcome)}\t{bd.esc(actor)}"
                                  f"{ev_suffix}\n")
                    visit_id += 1
                    if is_measured:
                        cell = tally.setdefault(v.bpmn_id, Tally())
                        if v.outcome == VisitOutcome.COMPLETED and left is not None:
                            cell.passed += 1
                            cell.seconds += (left - entered).total_seconds()
                        elif left is None:
                            cell.waiting += 1
                counts["visits" if is_measured else "older_visits"] += len(visits)
                counts["instances" if is_measured else "older"] += 1
                counts["waiting"] += waiting
                instance_id += 1
                if len(vlines) >= 20_000:
                    pcopy.write("".join(plines))
                    vcopy.write("".join(vlines))
                    plines.clear()
                    vlines.clear()
                if (number + 1) % 50_000 == 0:
                    log(f"  {number + 1:,} instances written")
            pcopy.write("".join(plines))
            vcopy.write("".join(vlines))
        pconn.commit()
        vconn.commit()
    steps["instances and visits (generate + COPY)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    bd.restore_schema_objects(url, dropped, log)
    steps["recreate keys, indexes, foreign keys"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("process_instances", "element_visits"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT coalesce(max(id), 1) FROM {table}))")
        conn.execute("VACUUM (ANALYZE)")
    steps["sequences + VACUUM ANALYZE"] = time.perf_counter() - t0
    return Generated(measured, older, counts["instances"], counts["older"], counts["waiting"], counts["visits"],
                     counts["older_visits"], tally, time.perf_counter() - t_start, steps)


# --------------------------------------------------------------------------- measurement


def percentile_s(values: list[float], pct: float) -> float:
    return bd.percentile(values, pct) if values else float("nan")


@dataclass
class DeployRuns:
    """The measured validate-and-deploy runs (seconds each) and what they created."""

    validate_s: list[float] = field(default_factory=list)  # problems_of (the "Validate" button)
    deploy_s: list[float] = field(default_factory=list)  # deploy_diagram + commit (the "Deploy" button)
    total_s: list[float] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)  # version numbers created (the warm-up's first)
    nodes: int = 0
    flows: int = 0
    xml_bytes: int = 0
    statements: list[int] = field(default_factory=list)  # SQL statements of one deploy
    http_s: list[float] = field(default_factory=list)  # POST validate + POST deploy through the test client
    http_status: str = "measured"

    @property
    def p95(self) -> float:
        return percentile_s(self.total_s, 95)


def form_keys_of(services: Any) -> list[str]:
    """Form keys of the real registry (services().forms), those with a sample answer first, so a
    test can drive an instance of the generated diagram to its end."""
    from forms.samples import SAMPLE_ANSWERS

    keys = list(services.forms.keys())
    return [k for k in keys if k in SAMPLE_ANSWERS] + [k for k in keys if k not in SAMPLE_ANSWERS]


def measure_deploy(services: Any, user_id: int, runs: int, log: Callable[[str], None]) -> DeployRuns:
    """One warm-up and ``runs`` measured rounds of Validate then Deploy, each on a changed
    diagram, in an app context like the designer's JSON endpoints (``/designer/api/validate``,
    ``/designer/api/processes/<key>/deploy``) run them."""
    from webapp import create_app
    from webapp.designer.service import deploy_diagram, problems_of

    app = create_app(services, {"TESTING": True})
    keys = form_keys_of(services)
    out = DeployRuns()
    with app.app_context():
        for run in range(runs + 1):
            xml = large_diagram(keys, variant=run)
            t0 = time.perf_counter()
            problems = problems_of(xml, DIAGRAM_KEY, f"{DIAGRAM_KEY}.bpmn")
            t1 = time.perf_counter()
            if problems:
                shown = "; ".join(f"{p.element_id}: {p.message}" for p in problems[:5])
                raise bd.BenchError(f"the generated {ELEMENTS}-element diagram has {len(problems)} problem(s), "
                                    f"fix bench/designer.py: {shown}")
            with bd.sql_recorder(services.db) as records, services.db.transaction() as session:
                result = deploy_diagram(session, DIAGRAM_KEY, xml, user_id=user_id, comment=f"benchmark run {run}")
                created, number = result.created, result.version.version
            t2 = time.perf_counter()
            if not created:
                raise bd.BenchError(f"run {run} deployed nothing new (version {number} has the same file)")
            out.versions.append(number)
            if run == 0:  # warm-up
                out.nodes, out.flows = count_elements(xml)
                out.xml_bytes = len(xml.encode())
                out.statements.append(len(records))
                continue
            out.validate_s.append(t1 - t0)
            out.deploy_s.append(t2 - t1)
            out.total_s.append(t2 - t0)
    measure_deploy_http(services, user_id, keys, runs, out)
    log(f"  {runs} validate-and-deploy runs: median {statistics.median(out.total_s) * 1000:.0f} ms, "
        f"p95 {out.p95 * 1000:.0f} ms")
    return out


def measure_deploy_http(services: Any, user_id: int, keys: list[str], runs: int, out: DeployRuns) -> None:
    """The same rounds through the designer's JSON API, as the modeler page sends them: ``POST
    /designer/api/validate`` then ``POST /designer/api/processes/<key>/deploy`` (Flask's test
    client, signed in as a process designer; the diagrams continue the numbering of the runs)."""
    client = bd.signed_in_client(services, user_id)
    for run in range(runs):
        xml = large_diagram(keys, variant=runs + 1 + run)
        t0 = time.perf_counter()
        validated = client.post("/designer/api/validate", json={"xml": xml, "key": DIAGRAM_KEY})
        deployed = client.post(f"/designer/api/processes/{DIAGRAM_KEY}/deploy",
                               json={"xml": xml, "comment": f"benchmark run {runs + 1 + run} (HTTP)"})
        seconds = time.perf_counter() - t0
        body = deployed.get_json(silent=True) or {}
        if validated.status_code != 200 or not (validated.get_json(silent=True) or {}).get("valid"):
            out.http_status = f"error: POST /designer/api/validate answered {validated.status_code}"
        elif deployed.status_code != 200 or not body.get("created"):
            out.http_status = (f"error: POST /designer/api/processes/{DIAGRAM_KEY}/deploy answered "
                               f"{deployed.status_code} {body.get('error') or body.get('message') or ''}".strip())
        if out.http_status != "measured":
            return
        out.versions.append(int(body["version"]))
        out.http_s.append(seconds)


@dataclass
class HeatRun:
    status: str  # measured | missing: … | wrong: …
    calls: bd.PageResult = field(default_factory=lambda: bd.PageResult("heat_map()"))
    pages: dict[str, bd.PageResult] = field(default_factory=dict)  # endpoint -> requests
    page_status: dict[str, str] = field(default_factory=dict)  # endpoint -> measured | why not
    paths: dict[str, str] = field(default_factory=dict)
    cells: int = 0
    plan: str = ""
    mismatches: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.status == "measured"


def compare_heat_map(cells: dict[str, Any], tally: dict[str, Tally]) -> list[str]:
    """What differs between the heat map and the generator's tallies (empty: all the same)."""
    out = []
    for bpmn_id in sorted(set(cells) | set(tally)):
        cell, want = cells.get(bpmn_id), tally.get(bpmn_id)
        if cell is None or want is None:
            out.append(f"{bpmn_id}: {'missing from the heat map' if cell is None else 'not generated'}")
            continue
        if (cell.passed, cell.waiting) != (want.passed, want.waiting):
            out.append(f"{bpmn_id}: passed/waiting {cell.passed}/{cell.waiting}, "
                       f"generated {want.passed}/{want.waiting}")
        a, b = cell.avg_seconds, want.avg_seconds
        if (a is None) != (b is None) or (a is not None and b is not None and abs(a - b) > 1e-3 * max(1.0, abs(b))):
            out.append(f"{bpmn_id}: mean {a} s, generated {b} s")
    return out


def heatmap_endpoints(app: Any) -> list[str]:
    """Endpoints of GET URL rules of the web app that name a heat map and take only a version id."""
    return sorted(rule.endpoint for rule in app.url_map.iter_rules()
                  if "heat" in rule.endpoint and "GET" in (rule.methods or set()) and rule.arguments == {"version_id"})


def measure_heatmap(services: Any, generated: Generated, user_id: int, scale: Scale, calls: int,
                    log: Callable[[str], None]) -> HeatRun:
    """``heat_map`` of the measured version (a new session each call), its result checked against
    the generator's tallies, its statement explained; then the heat-map pages of the web app."""
    try:
        from engine.workflow.inspection import heat_map
    except ImportError as exc:
        return HeatRun(f"missing: engine.workflow.inspection.heat_map cannot be imported ({exc})")
    db = services.db
    run = HeatRun("measured")
    version_id = generated.measured_version_id
    for i in range(scale.warmup + calls):
        with db.sessionmaker() as session, bd.sql_recorder(db) as records:
            t0 = time.perf_counter()
            cells = heat_map(session, version_id)
            ms = (time.perf_counter() - t0) * 1000
            session.rollback()
        if i == 0:
            run.cells = len(cells)
            run.mismatches = compare_heat_map(cells, generated.tally)
            if run.mismatches:
                run.status = f"wrong: the heat map differs from the generated rows ({'; '.join(run.mismatches[:3])})"
                return run
        if i >= scale.warmup:
            run.calls.add(ms, records)
    plans = bd.explain_slowest(db, [run.calls], top=1)
    run.plan = next(iter(plans.values()), "")
    log(f"  heat_map(): median {run.calls.median:.1f} ms, p95 {run.calls.p95:.1f} ms over {calls} calls")
    from webapp import create_app

    app = create_app(services, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    endpoints = heatmap_endpoints(app)
    if not endpoints:
        run.page_status["(none)"] = "missing: the web app has no heat-map endpoint"
        return run
    client = bd.signed_in_client(services, user_id)
    with app.test_request_context():
        from flask import url_for

        run.paths = {e: url_for(e, version_id=version_id) for e in endpoints}
    for e in endpoints:
        run.pages[e] = bd.PageResult(e)
        run.page_status[e] = "measured"
    for i in range(scale.warmup + scale.http_calls):
        for e, path in run.paths.items():
            if run.page_status[e] != "measured":
                continue
            response, ms, records = bd.timed_get(client, db, path)
            if response.status_code != 200:
                run.page_status[e] = f"error: GET {path} answered HTTP {response.status_code}"
            elif i >= scale.warmup:
                run.pages[e].add(ms, records)
    for e, page in run.pages.items():
        if run.page_status[e] == "measured":
            log(f"  GET {run.paths[e]}: median {page.median:.1f} ms, p95 {page.p95:.1f} ms")
    return run


# The heat map's figures computed other ways on the same rows, timed with psycopg alone (no
# SQLAlchemy): what a faster statement could gain, for the docs.
ALTERNATIVES = {
    "count(*) per element, nothing else (the floor of any query over every visit)":
        "SELECT bpmn_id, count(*) FROM element_visits WHERE process_version_id = %s GROUP BY bpmn_id",
    "the same three figures with count(*) FILTER and date_part('epoch', …) (double) instead of "
    "extract(epoch …) (numeric since PostgreSQL 14)":
        "SELECT bpmn_id, count(*) FILTER (WHERE outcome = 'completed'), count(*) FILTER (WHERE left_at IS NULL), "
        "avg(date_part('epoch', left_at - entered_at)) FILTER (WHERE outcome = 'completed') "
        "FROM element_visits WHERE process_version_id = %s GROUP BY bpmn_id",
}


def time_alternatives(url: str, version_id: int, runs: int = 5) -> dict[str, float]:
    """Median ms of each statement of :data:`ALTERNATIVES` over ``runs`` runs (after one)."""
    out: dict[str, float] = {}
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        for label, sql in ALTERNATIVES.items():
            conn.execute(sql, (version_id,)).fetchall()
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                conn.execute(sql, (version_id,)).fetchall()
                times.append((time.perf_counter() - t0) * 1000)
            out[label] = statistics.median(times)
    return out


# A way to answer the heat map without reading every visit, tried on the same rows when the heat
# map misses its target: completed visits rolled up per (version, element) up to a watermark (what
# a periodic job would keep), plus at request time the visits completed since the watermark and
# the open ones, each read through a small partial index. Created for the trial, dropped after it.
ROLLUP_SETUP = [
    "CREATE INDEX bench_ix_visits_open ON element_visits (process_version_id, bpmn_id) WHERE left_at IS NULL",
    "CREATE INDEX bench_ix_visits_closed ON element_visits (process_version_id, left_at) "
    "WHERE outcome = 'completed'",
    "CREATE TABLE bench_visit_totals AS SELECT process_version_id, bpmn_id, count(*) AS passed, "
    "sum(date_part('epoch', left_at - entered_at)) AS seconds FROM element_visits "
    "WHERE outcome = 'completed' AND left_at < %(upto)s GROUP BY process_version_id, bpmn_id",
    "ALTER TABLE bench_visit_totals ADD PRIMARY KEY (process_version_id, bpmn_id)",
]
ROLLUP_TEARDOWN = ["DROP TABLE IF EXISTS bench_visit_totals", "DROP INDEX IF EXISTS bench_ix_visits_open",
                   "DROP INDEX IF EXISTS bench_ix_visits_closed"]
ROLLUP_QUERY = """
WITH done AS (
  SELECT bpmn_id, passed, seconds FROM bench_visit_totals WHERE process_version_id = %(v)s
  UNION ALL
  SELECT bpmn_id, count(*), sum(date_part('epoch', left_at - entered_at)) FROM element_visits
   WHERE process_version_id = %(v)s AND outcome = 'completed' AND left_at >= %(upto)s GROUP BY bpmn_id
), totals AS (SELECT bpmn_id, sum(passed) AS passed, sum(seconds) AS seconds FROM done GROUP BY bpmn_id),
open AS (SELECT bpmn_id, count(*) AS waiting FROM element_visits
          WHERE process_version_id = %(v)s AND left_at IS NULL GROUP BY bpmn_id)
SELECT coalesce(t.bpmn_id, o.bpmn_id), coalesce(t.passed, 0), coalesce(o.waiting, 0), t.seconds / nullif(t.passed, 0)
FROM totals t FULL JOIN open o ON o.bpmn_id = t.bpmn_id"""
ROLLUP_LAG = dt.timedelta(hours=1)  # the watermark's age: the visits completed since are read live


@dataclass(frozen=True)
class Cell:
    bpmn_id: str
    passed: int
    waiting: int
    avg_seconds: float | None


@dataclass
class Rollup:
    status: str  # measured | why not
    ms: list[float] = field(default_factory=list)
    live_rows: int = 0  # completed visits since the watermark, read at each request
    setup_s: float = 0.0


def try_rollup(url: str, generated: Generated, runs: int) -> Rollup:
    """Time :data:`ROLLUP_QUERY` ``runs`` times (after one) on the measured version, its result
    checked equal to the generator's tallies; the trial's table and indexes are dropped after."""
    dsn = bd.libpq_dsn(url)
    v = generated.measured_version_id
    upto = dt.datetime.now(dt.UTC) - ROLLUP_LAG
    out = Rollup("measured")
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            t0 = time.perf_counter()
            for statement in ROLLUP_SETUP:
                conn.execute(statement, {"upto": upto})
            conn.execute("VACUUM ANALYZE element_visits")
            conn.execute("ANALYZE bench_visit_totals")
            out.setup_s = time.perf_counter() - t0
            out.live_rows = conn.execute(
                "SELECT count(*) FROM element_visits WHERE process_version_id = %(v)s AND outcome = 'completed' "
                "AND left_at >= %(upto)s", {"v": v, "upto": upto}).fetchone()[0]
            for i in range(runs + 1):
                t0 = time.perf_counter()
                rows = conn.execute(ROLLUP_QUERY, {"v": v, "upto": upto}).fetchall()
                ms = (time.perf_counter() - t0) * 1000
                if i == 0:
                    cells = {r[0]: Cell(r[0], int(r[1]), int(r[2]), float(r[3]) if r[3] is not None else None)
                             for r in rows}
                    wrong = compare_heat_map(cells, generated.tally)
                    if wrong:
                        return Rollup(f"wrong: {'; '.join(wrong[:3])}")
                else:
                    out.ms.append(ms)
        finally:
            for statement in ROLLUP_TEARDOWN:
                conn.execute(statement)
    return out


# --------------------------------------------------------------------------- report


@dataclass
class Results:
    scale: str
    sizes: Scale
    deploy: DeployRuns
    generated: Generated
    heat: HeatRun
    counts: dict[str, int]
    db_size: str
    machine: dict[str, str]
    alternatives: dict[str, float] = field(default_factory=dict)  # label -> median ms
    rollup: Rollup | None = None  # tried when the heat map misses its target

    def figures(self) -> dict[str, float | None]:
        return {
            "deploy_300_elements_s": round(self.deploy.p95, 3),
            "heatmap_100k_ms": round(self.heat.calls.p95, 2) if self.heat.measured else None,
        }


def _verdict(key: str, value: float | None) -> str:
    if value is None:
        return "not measured"
    return "pass" if value < TARGETS[key][0] else "**miss**"


def _deploy_note(res: Results) -> str:
    d = res.deploy
    return (f"{ELEMENTS} elements ({d.nodes} flow nodes + {d.flows} sequence flows), {d.xml_bytes / 1024:.0f} KB of "
            f"XML; p50 {statistics.median(d.total_s) * 1000:.0f} ms, p95 {d.p95 * 1000:.0f} ms over {len(d.total_s)} "
            f"runs (Validate p50 {statistics.median(d.validate_s) * 1000:.0f} ms, Deploy incl. commit p50 "
            f"{statistics.median(d.deploy_s) * 1000:.0f} ms; {d.statements[0] if d.statements else '?'} SQL "
            f"statements); versions {d.versions[1] if len(d.versions) > 1 else '?'} to {d.versions[len(d.total_s)]} "
            "created")


def _http_deploy_note(res: Results) -> str:
    d = res.deploy
    if d.http_status != "measured":
        return d.http_status
    return (f"`POST /designer/api/validate` + `POST /designer/api/processes/{DIAGRAM_KEY}/deploy` through the test "
            f"client: p50 {statistics.median(d.http_s) * 1000:.0f} ms, p95 {percentile_s(d.http_s, 95) * 1000:.0f} ms "
            f"over {len(d.http_s)} rounds (each a new version)")


def _heat_note(res: Results) -> str:
    h, g = res.heat, res.generated
    if not h.measured:
        return h.status
    c = h.calls
    return (f"`heat_map(session, version_id)`, {g.instances:,} instances, {g.visits:,} visits of the version; "
            f"p50 {c.median:.1f} ms, p95 {c.p95:.1f} ms over {len(c.ms)} calls, {max(c.statements)} SQL "
            f"statement(s), SQL time median {statistics.median(c.sql_ms):.1f} ms; {h.cells} cells, equal to the "
            f"generated rows")


def _plan_summary(plan: str) -> str:
    """The plan's access path in a few words: index only or not, heap fetches, time."""
    lines = [line.strip() for line in plan.splitlines()]
    scan = next((line.lstrip("-> ").split("  (")[0] for line in lines if "Scan" in line), "?")
    heap = next((line for line in lines if line.startswith("Heap Fetches")), "")
    execution = next((line for line in lines if line.startswith("Execution Time")), "")
    return "; ".join(x for x in (scan, heap, execution) if x)


def _rollup_note(res: Results) -> str:
    r = res.rollup
    if r is None:
        return ""
    if r.status != "measured":
        return f"roll-up trial: {r.status}"
    return (f"roll-up trial (bench_visit_totals up to a watermark {ROLLUP_LAG.total_seconds() / 3600:g} h old + "
            f"{r.live_rows:,} visits completed since + the open visits, two partial indexes): result equal to the "
            f"generated rows, p50 {statistics.median(r.ms):.1f} ms, p95 {percentile_s(r.ms, 95):.1f} ms over "
            f"{len(r.ms)} runs (psycopg alone); building it took {r.setup_s:.1f} s")


def page_lines(res: Results) -> list[tuple[str, str]]:
    """(label, note) per heat-map endpoint of the web app."""
    out = []
    for e, status in res.heat.page_status.items():
        if status != "measured":
            out.append((e, status))
            continue
        p = res.heat.pages[e]
        out.append((e, f"`GET {res.heat.paths[e]}`: p50 {p.median:.1f} ms, p95 {p.p95:.1f} ms over {len(p.ms)} "
                       f"requests, {min(p.statements)}-{max(p.statements)} SQL statements, SQL time median "
                       f"{statistics.median(p.sql_ms):.1f} ms"))
    return out


def summary_lines(res: Results) -> list[str]:
    f = res.figures()
    g = res.generated
    lines = [
        f"Designer and heat map on PostgreSQL, scale {res.scale}: {g.instances:,} instances of the measured version "
        f"({g.waiting_instances:,} waiting), {g.visits:,} visits; database {res.db_size}:",
        f"  generation {g.seconds:.1f} s: " + "; ".join(f"{k} {v:.1f} s" for k, v in g.steps.items()),
        f"  validate and deploy: [{_verdict('deploy_300_elements_s', f['deploy_300_elements_s'])}] {_deploy_note(res)}",
        f"  validate and deploy through the JSON API: {_http_deploy_note(res)}",
        f"  heat map: [{_verdict('heatmap_100k_ms', f['heatmap_100k_ms'])}] {_heat_note(res)}",
    ]
    if res.heat.plan:
        lines.append(f"      plan: {_plan_summary(res.heat.plan)}")
    for label, ms in res.alternatives.items():
        lines.append(f"      for comparison, {ms:.1f} ms (median, psycopg alone): {label}")
    if res.rollup is not None:
        lines.append(f"      {_rollup_note(res)}")
    for label, note in page_lines(res):
        lines.append(f"  page {label}: {note}")
    return lines


def docs_section(res: Results) -> str:
    f = res.figures()
    g, mach, d = res.generated, res.machine, res.deploy
    mean_visits = g.visits / g.instances if g.instances else 0
    out = [
        f"\n## {mach['date']} — designer and heat map, bench/designer.py, {g.instances:,} instances "
        f"(scale {res.scale})\n",
        f"Machine: {mach['cpu']}, {mach['cores']} cores; Python {mach['python']}, SQLAlchemy {mach['sqlalchemy']}, "
        f"SpiffWorkflow {mach['spiffworkflow']}, PostgreSQL {mach['postgresql']} (server settings untouched). Load "
        f"average (1/5/15 min) at the end: {mach['load']}. Code: {mach['code']}. Run: "
        f"`.venv/bin/python bench/designer.py --scale {res.scale}`.\n",
        "| figure | value | target | verdict | notes |",
        "| --- | --- | --- | --- | --- |",
        f"| `deploy_300_elements_s` | {f['deploy_300_elements_s']} | < 1 s | "
        f"{_verdict('deploy_300_elements_s', f['deploy_300_elements_s'])} | {_deploy_note(res)} |",
        f"| the same through the JSON API, p95 s (not in the JSON) | "
        f"{f'{percentile_s(d.http_s, 95):.3f}' if d.http_status == 'measured' else 'null'} | — | — | "
        f"{_http_deploy_note(res)} |",
        f"| `heatmap_100k_ms` | {f['heatmap_100k_ms'] if f['heatmap_100k_ms'] is not None else 'null'} | < 300 ms | "
        f"{_verdict('heatmap_100k_ms', f['heatmap_100k_ms'])} | {_heat_note(res)} |",
    ]
    for label, note in page_lines(res):
        measured = res.heat.page_status.get(label) == "measured"
        value = f"{res.heat.pages[label].p95:.2f}" if measured else "null"
        out.append(f"| heat-map page `{label}`, p95 ms (not in the JSON) | {value} | — | — | {note} |")
    out += [
        "",
        f"- Deploy: a generated executable diagram of exactly {ELEMENTS} elements, counted as BPMN flow nodes (events, "
        "tasks, gateways, the sub-process and the nodes inside it, the boundary event) plus sequence flows; the "
        f"process and the drawing are not counted. {d.nodes} flow nodes: user tasks with form keys of the real "
        "registry, script tasks, `calendar.add_working_days` service tasks, exclusive gateways with a condition on "
        "every branch, parallel gateways, an expanded sub-process with an interrupting 15-day boundary timer; "
        "BPMNDI shapes and edges for everything (bpmn-js opens it). Timed in an app context of an app built like "
        "production: `problems_of` (Validate: `check` with the forms registry, the operators, PHASE_FLOWS; zero "
        "problems asserted) then `deploy_diagram` (Deploy: `deploy`, which checks again, and the draft discarded) "
        "in one transaction including the commit. Each run a changed diagram (name and a threshold), so each "
        "created a new version; one warm-up run not measured.",
        f"- Heat map: a process of 16 flow nodes (two exclusive gateways, a rework loop, a 10-day boundary timer with "
        f"an escalation path, a service task, four user tasks) deployed twice; {g.instances:,} instances on the "
        f"measured version ({g.waiting_instances:,} ≈ {g.waiting_instances / max(1, g.instances):.0%} still waiting "
        f"at a user task), {g.older_instances:,} older ones on the first. {g.visits:,} `element_visits` rows for the "
        f"measured version ({mean_visits:.1f} per instance: the start and end events, the gateways and the boundary "
        f"timer beside the review are visits too, as the engine writes them — the sequences are checked against "
        f"the engine's own in tests/bench/test_designer_bench.py; engine steps entered and left at once, user tasks "
        f"log-normal hours to weeks, the boundary timer open beside the review, starts over 18 months) and "
        f"{g.older_visits:,} for the older one, loaded with COPY; indexes and constraints restored and checked "
        "identical to `create_all`, then VACUUM ANALYZE. Each call in a new session, after a warm-up; the result "
        "is checked equal to the generator's own tallies (passed, waiting, mean duration per element).",
        f"- Plan of the heat-map statement: {_plan_summary(res.heat.plan) or 'not measured'}."
        + "".join(f" For comparison on the same rows (median, psycopg alone): {label}: {ms:.1f} ms."
                  for label, ms in res.alternatives.items())
        + (f" A {_rollup_note(res)}: see the SQL in bench/designer.py (ROLLUP_SETUP, ROLLUP_QUERY)."
           if res.rollup is not None else ""),
        f"- JSON: `{json.dumps(f)}`."
        + ("" if res.scale == "full" else f" Scale {res.scale}: not the issue's figure for the heat map, which is "
           "that of scale full (100,000 instances)."),
        f"- Generation {g.seconds:.1f} s: " + "; ".join(f"{k} {v:.1f} s" for k, v in g.steps.items()) + ".",
        f"- Database size {res.db_size}. Rows: " + ", ".join(f"`{t}` {c:,}" for t, c in res.counts.items() if c) + ".",
        "",
    ]
    return "\n".join(out)


def write_docs(res: Results, path: Path = DOCS_PATH) -> None:
    with path.open("a") as fh:
        fh.write(docs_section(res))


# --------------------------------------------------------------------------- main


def run(scale_name: str, *, workdir: Path, url: str | None = None, scale: Scale | None = None,
        samples: int | None = None, try_roll_up: bool | None = None,
        log: Callable[[str], None] = print) -> Results:
    """Everything of the module docstring; ``try_roll_up`` None tries the roll-up only when the
    heat map misses its target."""
    from bench.engine import machine_facts

    url = url or pg_url()
    scale = scale or SCALES[scale_name]
    pg_version = bd.recreate_database(url, "GUICHET_BENCH_DESIGNER_PG_URL")
    services = bd._services(url, workdir)
    try:
        Base.metadata.create_all(services.db.engine)
        with services.db.transaction() as session:
            user = create_user(session, "designer@bench.test", "Process Designer", PASSWORD,
                               [Role.PROCESS_DESIGNER, Role.MANAGER])
            workers = [create_user(session, f"worker{n}@bench.test", f"Case Worker {n}", PASSWORD,
                                   [Role.CASE_WORKER]) for n in range(4)]
            session.flush()
            user_id, worker_ids = user.id, [user.id, *(w.id for w in workers)]
        log(f"(1) validate and deploy a {ELEMENTS}-element diagram, {scale.deploy_runs} runs after a warm-up…")
        deploy_runs = measure_deploy(services, user_id, scale.deploy_runs, log)
        keys = form_keys_of(services)
        with services.db.transaction() as session:
            ids = []
            for variant in (1, 2):
                result = services.engine.deploy(session, heatmap_diagram(keys, variant), f"{HEATMAP_KEY}.bpmn",
                                                user_id=user_id)
                ids.append(result.version.id)
        older, measured = ids
        log(f"(2) {scale.instances:,} instances and their visits with COPY…")
        generated = load_visits(url, (measured, older), HEATMAP_KEY, scale.instances, worker_ids, log)
        bd.check_schema(url)
        # what a deployment's beat job (guichet.roll_up_visits) would have done by now: the visits
        # closed before now - its margin added up per element; the heat map reads the rest live
        t0 = time.perf_counter()
        with services.db.transaction() as session:
            roll_up_visits(session)
        generated.steps["roll-up of the closed visits (roll_up_visits, first run)"] = time.perf_counter() - t0
        generated.seconds += generated.steps["roll-up of the closed visits (roll_up_visits, first run)"]
        log(f"  generated in {generated.seconds:.1f} s; timing the heat map…")
        heat = measure_heatmap(services, generated, user_id, scale, samples or scale.heat_calls, log)
    finally:
        services.db.dispose()
    alternatives = time_alternatives(url, generated.measured_version_id) if heat.measured else {}
    missed = heat.measured and heat.calls.p95 >= TARGETS["heatmap_100k_ms"][0]
    rollup = None
    if heat.measured and (missed if try_roll_up is None else try_roll_up):
        log("  trying a roll-up on the same rows" + (" (the heat map misses its target)…" if missed else "…"))
        rollup = try_rollup(url, generated, 20)
    counts, size, _bytes = bd.table_counts(url)
    return Results(scale_name, scale, deploy_runs, generated, heat, counts, size, machine_facts(pg_version),
                   alternatives, rollup)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--samples", type=int, help="measured heat-map calls (default: the scale's)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the heat map")
    parser.add_argument("--try-rollup", action=argparse.BooleanOptionalAction, default=None,
                        help="time a roll-up of the visits on the same rows (default: when the heat map misses "
                             "its target)")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help="append a section to docs/benchmarks.md (default: at scale full only)")
    args = parser.parse_args(argv)
    if args.samples is not None and args.samples < 1:
        parser.error("--samples must be at least 1")
    progress = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="guichet-bench-designer-") as tmp:
        try:
            res = run(args.scale, workdir=Path(tmp), samples=args.samples, try_roll_up=args.try_rollup,
                      log=progress)
        except bd.BenchError as exc:
            print(f"bench/designer.py: {exc}", file=sys.stderr)
            return 2
    for line in summary_lines(res):
        print(line)
    if args.explain:
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the heat map:\n{res.heat.plan or '(not measured)'}")
    if args.docs if args.docs is not None else res.scale == "full":
        write_docs(res)
        print(f"  appended to {DOCS_PATH.relative_to(ROOT)}")
    print(json.dumps(res.figures()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
