"""Checks on the drawing itself, before any instance runs: what SpiffWorkflow would accept but a
running dossier would trip over later (a branch without a condition, a task nobody reaches, a path
that stops in the middle, an element Guichet cannot execute, a timer that can never fire).

They read the XML rather than the parsed specs because a designer needs the id of the element
to mark on the canvas, and several of these (sequence flows, unsupported elements) leave no trace
in the specs at all.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.workflow.errors import Problem

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}

FLOW_NODES = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask", "receiveTask",
    "subProcess", "adHocSubProcess", "transaction", "callActivity", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "inclusiveGateway",
    "parallelGateway", "eventBasedGateway", "complexGateway",
}

# Elements and event definitions of BPMN 2.0 that SpiffWorkflow 3.2 (and so Guichet) cannot run,
# with the words a designer knows them by and what to draw instead. Each was tried on a small
# diagram (tests/engine/test_unsupported_elements.py): a complex gateway and a
# compensation boundary event are refused by the parser; link events, compensation throw/end
# events and signal end events are parsed as plain events and silently do nothing (the process
# ends early or waits for ever); an ad-hoc sub-process waits for someone to pick its activities,
# which Guichet has no screen for. Conditional, escalation, error, cancel, signal (catch and
# intermediate throw), message, timer and terminate events do run, and are not listed.
UNSUPPORTED_ELEMENTS = {
    "complexGateway": ("complex gateway", "use an exclusive, inclusive or parallel gateway instead"),
    "adHocSubProcess": (
        "ad-hoc sub-process",
        "nobody can pick its activities in Guichet: use a sub-process with parallel or inclusive branches",
    ),
}
UNSUPPORTED_EVENT_DEFINITIONS = {
    "compensateEventDefinition": "compensation event",
    "linkEventDefinition": "link event",
}
# event definitions that run on some events but not on others: (element, definition) -> words
UNSUPPORTED_EVENT_KINDS = {
    ("endEvent", "signalEventDefinition"): "signal end event",
}
EVENT_ADVICE = {
    "compensation event": "undo the work with explicit steps (e.g. an error boundary event leading to them)",
    "link event": "draw the sequence flow itself instead of the pair of link events",
    "signal end event": "throw the signal with an intermediate throw event, then end with a plain end event",
}
# a boundary event needs a trigger; SpiffWorkflow raises NotImplementedError on one without
BOUNDARY_TRIGGERS = (
    "timerEventDefinition", "messageEventDefinition", "signalEventDefinition", "errorEventDefinition",
    "escalationEventDefinition", "conditionalEventDefinition", "cancelEventDefinition", "compensateEventDefinition",
)

# A bare ISO 8601 duration, date or cycle: a valid Python name or nonsense for the expression
# evaluator, so a designer who forgot the quotes gets told so.
_ISO_LOOKALIKE = re.compile(r"^(R\d*/)?P(\d|T\d)|^\d{4}-\d{2}-\d{2}")


def _local(element: Any) -> str:
    tag = element.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _label(element: Any) -> str:
    name = element.get("name")
    return f"{name!r} ({element.get('id')})" if name else str(element.get("id"))


def _scopes(root: Any) -> Iterator[Any]:
    """Every executable process and every sub-process in it: each has its own sequence flows."""
    for process in root.iterfind("bpmn:process", NS):
        if process.get("isExecutable", "false").lower() != "true":
            continue
        yield process
        for local in ("subProcess", "transaction", "adHocSubProcess"):
            yield from process.iterfind(f".//bpmn:{local}", NS)


def _children(scope: Any) -> tuple[dict[str, Any], list[Any]]:
    nodes: dict[str, Any] = {}
    flows: list[Any] = []
    for child in scope:
        local = _local(child)
        if local in FLOW_NODES and child.get("id"):
            nodes[child.get("id")] = child
        elif local == "sequenceFlow":
            flows.append(child)
    return nodes, flows


def _is_event_subprocess(element: Any) -> bool:
    return _local(element) == "subProcess" and element.get("triggeredByEvent", "false").lower() == "true"


def _is_compensation(element: Any) -> bool:
    return element.get("isForCompensation", "false").lower() == "true"


def _has_definition(element: Any, local: str) -> bool:
    return element.find(f"bpmn:{local}", NS) is not None


def _gateway_problems(source: str, nodes: dict[str, Any], flows: list[Any]) -> list[Problem]:
    problems = []
    for flow in flows:
        gateway = nodes.get(flow.get("sourceRef"))
        if gateway is None or _local(gateway) not in ("exclusiveGateway", "inclusiveGateway"):
            continue
        outgoing = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
        if len(outgoing) < 2 or gateway.get("default") == flow.get("id"):
            continue
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is None or not (condition.text or "").strip():
            target = nodes.get(flow.get("targetRef"))
            towards = f" towards {_label(target)}" if target is not None else ""
            problems.append(Problem(
                source, flow.get("id"),
                f"branch{towards} of gateway {_label(gateway)} has no condition: give it a condition "
                "or make it the gateway's default flow",
            ))
    return problems


def _reachability_problems(source: str, scope: Any, nodes: dict[str, Any], flows: list[Any]) -> list[Problem]:
    successors: dict[str, list[str]] = {}
    incoming: set[str] = set()
    for flow in flows:
        successors.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
        incoming.add(flow.get("targetRef"))
    starts = [
        node_id for node_id, node in nodes.items()
        if _local(node) == "startEvent" or _is_event_subprocess(node) or _is_compensation(node)
        # a catch event a message flow, a link or an event gateway may wake up without a sequence flow
        or (_local(node) == "intermediateCatchEvent" and node_id not in incoming)
    ]
    reached: set[str] = set()
    pending = list(starts)
    while pending:
        node_id = pending.pop()
        if node_id in reached or node_id not in nodes:
            continue
        reached.add(node_id)
        pending.extend(successors.get(node_id, []))
        # boundary events run when the activity they are attached to runs
        pending.extend(n for n, e in nodes.items() if e.get("attachedToRef") == node_id)
    problems = []
    for node_id, node in nodes.items():
        local = _local(node)
        if node_id not in reached:
            problems.append(Problem(
                source, node_id,
                f"{_label(node)} is unreachable: no sequence flow from a start event leads to it; "
                "connect it or remove it",
            ))
            continue
        if (
            local != "endEvent"
            and not successors.get(node_id)
            and not _is_event_subprocess(node)
            and not _is_compensation(node)
            and not (local == "boundaryEvent" and _has_definition(node, "compensateEventDefinition"))
            and not (local == "intermediateThrowEvent" and _has_definition(node, "linkEventDefinition"))
        ):
            problems.append(Problem(
                source, node_id,
                f"{_label(node)} is a dead end: no sequence flow leaves it; connect it to the next step "
                "or to an end event",
            ))
    if scope.tag == f"{{{BPMN}}}process" and not any(_local(nodes[s]) == "startEvent" for s in starts):
        problems.append(Problem(source, scope.get("id"), "the process has no start event: add one"))
    return problems


def _unsupported_problems(source: str, scope: Any) -> list[Problem]:
    """Every element of ``scope`` (not of its sub-processes: they are scopes of their own) that
    Guichet cannot execute, named by its name and id."""
    problems = []
    for child in scope:
        local = _local(child)
        if local not in FLOW_NODES:
            continue
        if local in UNSUPPORTED_ELEMENTS:
            words, advice = UNSUPPORTED_ELEMENTS[local]
            problems.append(Problem(
                source, child.get("id"), f"{_label(child)}: Guichet cannot execute a {words} ({local}): {advice}",
            ))
        if _is_compensation(child):
            problems.append(Problem(
                source, child.get("id"),
                f"{_label(child)}: Guichet cannot execute a compensation activity (isForCompensation): "
                f"{EVENT_ADVICE['compensation event']}",
            ))
        for definition, words in UNSUPPORTED_EVENT_DEFINITIONS.items():
            if _has_definition(child, definition):
                problems.append(Problem(
                    source, child.get("id"),
                    f"{_label(child)}: Guichet cannot execute a {words} ({definition}): {EVENT_ADVICE[words]}",
                ))
        for (element, definition), words in UNSUPPORTED_EVENT_KINDS.items():
            if local == element and _has_definition(child, definition):
                problems.append(Problem(
                    source, child.get("id"),
                    f"{_label(child)}: Guichet cannot execute a {words} ({definition}): {EVENT_ADVICE[words]}",
                ))
        if local == "boundaryEvent" and not any(_has_definition(child, d) for d in BOUNDARY_TRIGGERS):
            problems.append(Problem(
                source, child.get("id"),
                f"{_label(child)}: a boundary event needs a trigger: make it a timer, message, signal, error, "
                "escalation, conditional or cancel event, or remove it",
            ))
    return problems


def data_store_problems(root: Any, source: str) -> list[Problem]:
    """Data stores: SpiffWorkflow refuses the whole file when it declares one it has no
    implementation for (and Guichet registers none), whether or not a process uses it."""
    return [
        Problem(
            source, store.get("id"),
            f"data store {_label(store)}: Guichet cannot read or write a data store: remove it and its "
            "references, and keep the data in the task data or fetch it with a service task",
        )
        for store in root.iter(f"{{{BPMN}}}dataStore")
    ]


def executable_problems(root: Any, source: str) -> list[Problem]:
    """A file Guichet would not run: no process at all, or none marked executable (a process
    without isExecutable is a model for reading, as the BPMN MIWG files use it)."""
    processes = list(root.iter(f"{{{BPMN}}}process"))
    if not processes:
        return [Problem(source, None, "the file has no process, only a collaboration or definitions: "
                                      "draw a process in a pool to have something Guichet can run")]
    if any(p.get("isExecutable", "").strip().lower() == "true" for p in processes):
        return []
    return [
        Problem(
            source, process.get("id"),
            f"process {_label(process)} is not marked executable: set isExecutable=\"true\" on it to run it "
            "(until then it can be opened, edited and downloaded, not deployed)",
        )
        for process in processes
    ]


def unsupported_problems(root: Any, source: str) -> list[Problem]:
    """The elements Guichet cannot execute in every process of the file, executable or not, so a
    diagram drawn elsewhere says at once what would have to change before it can run."""
    problems: list[Problem] = []
    for process in root.iter(f"{{{BPMN}}}process"):
        problems += _unsupported_problems(source, process)
        for local in ("subProcess", "transaction", "adHocSubProcess"):
            for scope in process.iterfind(f".//bpmn:{local}", NS):
                problems += _unsupported_problems(source, scope)
    return problems


def _literal(expression: str) -> str | None:
    try:
        value = ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def timer_problem(kind: str, expression: str) -> str | None:
    """Why a timer expression can never fire, or None. Expressions computed from the task data are
    checked by the expression compiler; a quoted ISO 8601 value is checked here."""
    text = expression.strip()
    if not text:
        return "the timer has no value: give an ISO 8601 value in quotes, e.g. \"PT2H\""
    literal = _literal(text)
    if literal is None:
        if _ISO_LOOKALIKE.match(text):
            return f'timer value {text} must be quoted: "{text}"'
        return None
    try:
        if kind == "timeDuration":
            if not literal.upper().startswith("P"):
                raise ValueError(literal)
            TimerEventDefinition.parse_iso_duration(literal)
        elif kind == "timeDate":
            dt.datetime.fromisoformat(literal)
        elif kind == "timeCycle":
            if not literal.upper().startswith("R"):
                raise ValueError(literal)
            TimerEventDefinition.parse_iso_recurring_interval(literal)
    except Exception:  # SpiffWorkflow's parsers raise whatever the string trips over
        examples = {"timeDuration": '"PT2H" or "P5D"', "timeDate": '"2026-12-31T09:00:00+01:00"',
                    "timeCycle": '"R3/PT1H"'}
        return f"timer value {literal!r} is not a valid ISO 8601 {kind}: write e.g. {examples.get(kind, '')}"
    return None


def _timer_problems(source: str, scope: Any) -> list[Problem]:
    problems = []
    for child in scope:
        definition = child.find("bpmn:timerEventDefinition", NS)
        if definition is None:
            continue
        values = [v for v in definition if _local(v) in ("timeDate", "timeDuration", "timeCycle")]
        if not values:
            problems.append(Problem(
                source, child.get("id"), "timer has no definition: give a date, a duration or a cycle",
            ))
        for value in values:
            why = timer_problem(_local(value), value.text or "")
            if why:
                problems.append(Problem(source, child.get("id"), why))
    return problems


def _property(element: Any, name: str) -> str | None:
    for prop in element.iterfind("bpmn:extensionElements/{*}properties/{*}property", NS):
        if prop.get("name") == name:
            return prop.get("value")
    return None


def _phase_problems(source: str, process: Any, phase_flows: Mapping[str, Sequence[str]]) -> list[Problem]:
    """A process that names its dossier type (property ``dossierType``, or a key that is a dossier
    type) may only mark that type's phases: another phase would never show on the phase bar."""
    dossier_type = _property(process, "dossierType") or process.get("id")
    if dossier_type not in phase_flows:
        if _property(process, "dossierType"):
            known = ", ".join(sorted(phase_flows))
            return [Problem(source, process.get("id"), f"unknown dossier type {dossier_type!r} (known: {known})")]
        return []
    allowed = list(phase_flows[dossier_type])
    problems = []
    for event in process.iter(f"{{{BPMN}}}intermediateThrowEvent"):
        phase = _property(event, "phase")
        if phase is not None and phase not in allowed:
            problems.append(Problem(
                source, event.get("id"),
                f"phase {phase!r} is not a phase of dossier type {dossier_type} ({', '.join(allowed)})",
            ))
    return problems


def structure_problems(
    root: Any, source: str, phase_flows: Mapping[str, Sequence[str]] | None = None
) -> list[Problem]:
    """Every structural problem of the executable processes of a parsed XML document; with
    ``phase_flows`` (dossier type -> its phases) also milestones naming another type's phase."""
    problems: list[Problem] = data_store_problems(root, source)
    for scope in _scopes(root):
        nodes, flows = _children(scope)
        problems += _unsupported_problems(source, scope)
        problems += _gateway_problems(source, nodes, flows)
        if _local(scope) != "adHocSubProcess":
            problems += _reachability_problems(source, scope, nodes, flows)
        problems += _timer_problems(source, scope)
        if phase_flows is not None and scope.tag == f"{{{BPMN}}}process":
            problems += _phase_problems(source, scope, phase_flows)
    return problems
