"""Parsing diagrams into SpiffWorkflow specs, and the task-spec classes Guichet adds.

A service task never runs its operator inline: :class:`AsyncServiceTask` evaluates the
parameters, records them on the task and leaves the task STARTED; the runtime turns that into a
:class:`~engine.workflow.models.ServiceCall` that a Celery worker executes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask

from engine.workflow.errors import DeploymentError, Problem

SERVICE_CALL_KEY = "service_call"


class AsyncServiceTask(SpiffServiceTask):
    """Evaluates its parameters and waits (STARTED) for the worker's result."""

    def _execute(self, task: Any) -> None:
        params = {name: p["value"] for name, p in self.evaluate_params(task).items()}
        task._set_internal_data(**{SERVICE_CALL_KEY: {"operator": self.operation_name, "params": params}})
        return None


class GuichetParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, AsyncServiceTask),
    }


@dataclass
class ParsedDiagram:
    key: str
    name: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]


def _element_id_at(root: Any, line: int | None) -> str | None:
    """The id of the BPMN element at (or around) a line: schema errors only give the line."""
    if line is None:
        return None
    for element in root.iter():
        if element.sourceline == line:
            while element is not None:
                if element.get("id"):
                    return element.get("id")
                element = element.getparent()
    return None


def _problem_from_validation(exc: ValidationException, source_name: str, root: Any) -> Problem:
    line = exc.line_number if isinstance(exc.line_number, int) else None
    message = str(exc.args[0]) if exc.args else str(exc)
    return Problem(exc.file_name or source_name, exc.id or _element_id_at(root, line), message, line)


def _choose_key(parser: GuichetParser, root: Any, source_name: str) -> tuple[str, str, bool]:
    """The process a diagram deploys as: its collaboration when several pools are executable,
    else its one executable process that no call activity of the file refers to."""
    executable = parser.get_process_ids()
    if not executable:
        raise DeploymentError(
            [Problem(source_name, None, 'No executable process: set isExecutable="true" on the process.')]
        )
    called = parser.get_process_dependencies()
    top = [pid for pid in executable if pid not in called]
    if len(top) == 1:
        proc = root.find(f".//{{http://www.omg.org/spec/BPMN/20100524/MODEL}}process[@id='{top[0]}']")
        name = proc.get("name") if proc is not None and proc.get("name") else top[0]
        return top[0], name, False
    if parser.collaborations:
        collab_id = next(iter(parser.collaborations))
        collab = root.find(".//{http://www.omg.org/spec/BPMN/20100524/MODEL}collaboration")
        name = collab.get("name") if collab is not None and collab.get("name") else collab_id
        return collab_id, name, True
    raise DeploymentError(
        [
            Problem(
                source_name,
                None,
                f"Several executable processes ({', '.join(sorted(top))}) and no collaboration: "
                "keep one executable process per file, or join them in a collaboration.",
            )
        ]
    )


def parse_diagram(
    bpmn_xml: str | bytes, source_name: str, dmn_files: dict[str, str] | None = None, *, validate: bool = True
) -> ParsedDiagram:
    """Parse one diagram (plus any DMN it uses) or raise DeploymentError saying where and why."""
    raw = bpmn_xml.encode() if isinstance(bpmn_xml, str) else bpmn_xml
    try:
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DeploymentError([Problem(source_name, None, f"not well-formed XML: {exc.msg}", exc.lineno)]) from exc
    parser = GuichetParser(validator=VALIDATOR if validate else None)
    try:
        parser.add_bpmn_xml(root, source_name)
        for name, dmn in (dmn_files or {}).items():
            try:
                dmn_root = etree.fromstring(dmn.encode(), parser=etree.XMLParser(resolve_entities=False))
            except etree.XMLSyntaxError as exc:
                raise DeploymentError([Problem(name, None, f"not well-formed XML: {exc.msg}", exc.lineno)]) from exc
            parser.add_dmn_xml(dmn_root, name)
        key, name, is_collaboration = _choose_key(parser, root, source_name)
        if is_collaboration:
            spec, subprocess_specs = parser.get_collaboration(key)
        else:
            spec = parser.get_spec(key)
            subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as exc:
        raise DeploymentError([_problem_from_validation(exc, source_name, root)]) from exc
    return ParsedDiagram(key=key, name=name, spec=spec, subprocess_specs=subprocess_specs)


def iter_task_specs(parsed: ParsedDiagram) -> Any:
    yield from parsed.spec.task_specs.values()
    for sub in parsed.subprocess_specs.values():
        if sub is not None:
            yield from sub.task_specs.values()


def properties(task_spec: Any) -> dict[str, str]:
    return getattr(task_spec, "extensions", {}).get("properties", {}) or {}
