"""Deploying a diagram: validate everything a running instance would trip over later, then store
it as a new immutable process version. Nothing is stored when anything is wrong."""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.workflow import audit
from engine.workflow.diagram_checks import (
    BPMN,
    NS,
    data_store_problems,
    executable_problems,
    structure_problems,
    unsupported_problems,
)
from engine.workflow.errors import ConflictError, DeploymentError, Problem
from engine.workflow.forms_protocol import FormValidator
from engine.workflow.models import ProcessVersion
from engine.workflow.operators import OperatorRegistry
from engine.workflow.scripting import check_expression, check_script
from engine.workflow.specs import AsyncServiceTask, ParsedDiagram, iter_task_specs, parse_diagram, properties


@dataclass
class DeployResult:
    version: ProcessVersion
    created: bool


def checksum(bpmn_xml: str, dmn_files: dict[str, str] | None = None) -> str:
    digest = hashlib.sha256(bpmn_xml.encode())
    for name in sorted(dmn_files or {}):
        digest.update(b"\0" + name.encode() + b"\0" + (dmn_files or {})[name].encode())
    return digest.hexdigest()


def _script_problem(script: str) -> str | None:
    try:
        tree = ast.parse(script)
    except SyntaxError as exc:
        return f"script has a syntax error on line {exc.lineno}: {exc.msg}"
    if any(isinstance(node, ast.Import | ast.ImportFrom) for node in ast.walk(tree)):
        return "scripts may not import modules; use the helper functions listed in docs/architecture.md"
    return check_script(script)


def validate(
    parsed: ParsedDiagram,
    source_name: str,
    forms: FormValidator | None,
    operators: OperatorRegistry,
) -> list[Problem]:
    problems: list[Problem] = []

    def problem(spec: Any, message: str) -> None:
        problems.append(Problem(source_name, getattr(spec, "bpmn_id", None) or spec.name, message))

    for spec in iter_task_specs(parsed):
        props = properties(spec)
        if getattr(spec, "manual", False) and type(spec).__name__ == "UserTask":
            form_key = props.get("formKey")
            if not form_key:
                problem(spec, "user task has no form: add a spiffworkflow:property named formKey")
            elif forms is not None and not forms.has(form_key):
                problem(spec, f"form key {form_key!r} is not registered in forms/")
        if isinstance(spec, AsyncServiceTask):
            if spec.operation_name not in operators:
                known = ", ".join(operators.names()) or "none"
                problem(spec, f"service task operator {spec.operation_name!r} is not registered (registered: {known})")
            else:
                for msg in operators.check_params(spec.operation_name, set(spec.operation_params)):
                    problem(spec, f"operator {spec.operation_name}: {msg}")
            for name, param in spec.operation_params.items():
                err = check_expression(param["value"])
                if err:
                    problem(spec, f"parameter {name!r}: expression {param['value']!r} is invalid: {err}")
        for attr in ("script", "prescript", "postscript"):
            script = getattr(spec, attr, None)
            if script:
                err = _script_problem(script)
                if err:
                    problem(spec, f"{attr}: {err}")
        for condition, _target in getattr(spec, "cond_task_specs", []) or []:
            expression = getattr(condition, "args", [None])[0] if condition is not None else None
            if expression and expression.strip():
                err = check_expression(expression)
                if err:
                    problem(spec, f"condition {expression!r} is invalid: {err}")
        if isinstance(spec, CatchingEvent):
            expression = getattr(spec.event_definition, "expression", None)
            if expression:
                err = check_expression(expression)
                if err:
                    problem(spec, f'timer expression {expression!r} is invalid: {err} (quote a literal: "PT2H")')
        due = props.get("dueInWorkingDays")
        if due is not None and not due.strip().lstrip("-").isdigit():
            problem(spec, f"dueInWorkingDays must be a whole number, not {due!r}")
    return problems


def _xml_root(bpmn_xml: str) -> Any:
    try:
        return etree.fromstring(bpmn_xml.encode(), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None  # parse_diagram reports it with its line


def _registry_problems(
    root: Any, source_name: str, forms: FormValidator | None, operators: OperatorRegistry
) -> list[Problem]:
    """Unknown form keys and operators read from the XML, for when SpiffWorkflow refused the file
    before :func:`validate` could look at its specs: the designer still gets every problem at once."""
    problems = []
    for task in root.iterfind(".//bpmn:userTask", NS):
        form_key = next((p.get("value") for p in task.iterfind("bpmn:extensionElements/{*}properties/{*}property", NS)
                         if p.get("name") == "formKey"), None)
        if not form_key:
            problems.append(Problem(source_name, task.get("id"),
                                    "user task has no form: add a spiffworkflow:property named formKey"))
        elif forms is not None and not forms.has(form_key):
            problems.append(Problem(source_name, task.get("id"), f"form key {form_key!r} is not registered in forms/"))
    for operator in root.iterfind(".//bpmn:serviceTask/bpmn:extensionElements/{*}serviceTaskOperator", NS):
        name = operator.get("id")
        if name not in operators:
            known = ", ".join(operators.names()) or "none"
            task_id = operator.getparent().getparent().get("id")
            problems.append(Problem(source_name, task_id,
                                    f"service task operator {name!r} is not registered (registered: {known})"))
    return problems


_PLAIN_WORDS = {
    "A Service Task must have an operator":
        "service task has no operator: choose the operator it calls in the properties panel",
    'No DMN Diagram available with id "None", Available DMN ids are: ':
        "business rule task names no decision table: set its spiffworkflow:calledDecisionId and deploy the "
        ".dmn file with it",
    "There is no support implemented for this task type.":
        "Guichet cannot execute this kind of element: replace it with a task, gateway or event it supports",
}
_UNRESOLVED_DATA = re.compile(r"^Cannot resolve data(Input|Output)Association")


def _clarify(problem: Problem, root: Any) -> Problem | None:
    """SpiffWorkflow's own wording where it says too little: a data association it cannot follow
    (the message shows an lxml object), a data store (no element named; reported by the structural
    check instead). None drops the problem."""
    if problem.message.startswith("Data Store with name") and problem.element_id is None:
        return None
    if problem.message in _PLAIN_WORDS:
        return Problem(problem.file, problem.element_id, _PLAIN_WORDS[problem.message], problem.line)
    match = _UNRESOLVED_DATA.match(problem.message)
    if match and root is not None and problem.element_id:
        by_id = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
        task = by_id.get(problem.element_id)
        direction = match.group(1)
        path = "bpmn:dataInputAssociation/bpmn:sourceRef" if direction == "Input" else \
            "bpmn:dataOutputAssociation/bpmn:targetRef"
        refs = [r.text.strip() for r in task.iterfind(path, NS) if r.text] if task is not None else []
        named = ", ".join(
            f"{by_id[ref].get('name')!r} ({ref})" if ref in by_id and by_id[ref].get("name") else ref for ref in refs
        ) or "?"
        label = f"{task.get('name')!r} ({problem.element_id})" if task is not None and task.get("name") \
            else problem.element_id
        verb = "reads from" if direction == "Input" else "writes to"
        return Problem(problem.file, problem.element_id,
                       f"{label} {verb} {named}, which is not a data object of this process: Guichet can only "
                       "pass data through data objects (or the task data); connect the association to a data "
                       "object reference or remove it", problem.line)
    return problem


def check(
    bpmn_xml: str,
    source_name: str,
    *,
    forms: FormValidator | None,
    operators: OperatorRegistry,
    dmn_files: dict[str, str] | None = None,
    phase_flows: Mapping[str, Sequence[str]] | None = None,
    expected_key: str | None = None,
) -> tuple[ParsedDiagram | None, list[Problem]]:
    """Every problem of a diagram at once (the designer's "Validate"): parser or schema errors,
    then the structural checks, then what the specs reveal. The parsed diagram when it parsed.
    ``phase_flows`` (dossier type -> phases) checks milestones; ``expected_key`` refuses a diagram
    that would deploy under another process key than the one being edited."""
    root = _xml_root(bpmn_xml)
    if root is not None and root.tag == f"{{{BPMN}}}definitions":
        not_executable = executable_problems(root, source_name)
        if not_executable:  # nothing would run: say so, and what would stop it from running
            return None, not_executable + data_store_problems(root, source_name) + unsupported_problems(
                root, source_name)
    structural = structure_problems(root, source_name, phase_flows) if root is not None else []
    try:
        parsed = parse_diagram(bpmn_xml, source_name, dmn_files)
    except DeploymentError as exc:
        # the structural message says more than SpiffWorkflow's about the same element
        marked = {p.element_id for p in structural}
        clarified = [c for c in (_clarify(p, root) for p in exc.problems) if c is not None]
        found = [p for p in clarified if p.element_id is None or p.element_id not in marked] + structural
        if root is not None:  # elements the parser already named are left to that message
            named = {p.element_id for p in found}
            found += [p for p in _registry_problems(root, source_name, forms, operators) if p.element_id not in named]
        return None, found
    problems = structural + validate(parsed, source_name, forms, operators)
    if expected_key is not None and parsed.key != expected_key:
        problems.insert(0, Problem(
            source_name, parsed.key,
            f"this diagram deploys as {parsed.key!r} but you are editing {expected_key!r}: "
            f"set the process id back to {expected_key!r}",
        ))
    return parsed, problems


def deploy(
    session: Session,
    bpmn_xml: str,
    source_name: str,
    *,
    forms: FormValidator | None,
    operators: OperatorRegistry,
    dmn_files: dict[str, str] | None = None,
    user_id: int | None = None,
    comment: str | None = None,
    phase_flows: Mapping[str, Sequence[str]] | None = None,
    expected_key: str | None = None,
) -> DeployResult:
    parsed, problems = check(bpmn_xml, source_name, forms=forms, operators=operators, dmn_files=dmn_files,
                             phase_flows=phase_flows, expected_key=expected_key)
    if problems or parsed is None:
        raise DeploymentError(problems)
    digest = checksum(bpmn_xml, dmn_files)
    latest = session.scalar(
        select(ProcessVersion).where(ProcessVersion.key == parsed.key).order_by(ProcessVersion.version.desc()).limit(1)
    )
    if latest is not None and latest.checksum == digest:
        return DeployResult(latest, created=False)
    version = ProcessVersion(
        key=parsed.key,
        version=(latest.version + 1) if latest else 1,
        name=parsed.name,
        source_name=source_name,
        bpmn_xml=bpmn_xml,
        dmn_files=dict(dmn_files or {}),
        checksum=digest,
        deployed_by_id=user_id,
        comment=(comment or "").strip() or None,
    )
    try:
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError as exc:
        raise ConflictError(
            f"{parsed.key} was deployed by someone else at the same moment; deploy again to see "
            "whether your file is still new."
        ) from exc
    audit.record(
        session, None, "process_deployed", user_id, key=version.key, version=version.version, source=source_name,
        comment=version.comment,
    )
    return DeployResult(version, created=True)


__all__ = ["DeployResult", "DeploymentError", "Problem", "check", "deploy", "validate"]
