"""Saving and loading a workflow's state without its process definition.

SpiffWorkflow's serializer repeats the whole spec in every instance; here the spec lives once per
process version (parsed and cached in memory) and only the running state is stored.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter

from engine.workflow.specs import AsyncServiceTask

STATE_VERSION_KEY = "serializer_version"
MESSAGE_WAITS_ATTR = "guichet_message_waits"  # message names the instance waits for, kept with the state


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the specs out on save, and takes already-built spec objects on load."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        from uuid import UUID

        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs", {})
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_registry() -> Any:
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    ServiceTaskConverter(AsyncServiceTask, registry)
    SpecFreeWorkflowConverter(BpmnWorkflow, registry)
    registry.register(dt.date, lambda v: {"value": v.isoformat()}, lambda d: dt.date.fromisoformat(d["value"]))
    registry.register(dt.datetime, lambda v: {"value": v.isoformat()}, lambda d: dt.datetime.fromisoformat(d["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(uuid.UUID, lambda v: {"value": str(v)}, lambda d: uuid.UUID(d["value"]))
    return registry


_serializer = BpmnWorkflowSerializer(_build_registry())


def spec_registry() -> Any:
    """The converter registry the states are written with: SpiffWorkflow's spec diff
    (engine/workflow/interventions.py) compares task specs through it."""
    return _serializer.registry


def dump_state(workflow: BpmnWorkflow) -> str:
    registry = _serializer.registry
    registry._encoder_mode = True  # as BpmnWorkflowSerializer.serialize_json: data converted by the encoder
    try:
        dct = _serializer.to_dict(workflow)
        dct[STATE_VERSION_KEY] = VERSION
        dct[MESSAGE_WAITS_ATTR] = getattr(workflow, MESSAGE_WAITS_ATTR, [])
        return json.dumps(dct, cls=_serializer._encoder_cls, separators=(",", ":"))
    finally:
        registry._encoder_mode = False


def load_state(state: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    dct = json.loads(state)
    dct.pop(STATE_VERSION_KEY, None)
    waits = dct.pop(MESSAGE_WAITS_ATTR, [])
    dct["spec"] = spec
    dct["subprocess_specs"] = subprocess_specs
    workflow = _serializer.from_dict(dct)
    setattr(workflow, MESSAGE_WAITS_ATTR, waits)
    return workflow


def to_jsonable(value: Any) -> Any:
    """Task data made JSON-safe for the database and the API (dates as ISO strings)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value
