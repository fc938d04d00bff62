"""Where the tokens of an instance are now, task by task (the guid a move needs), read from the
workflow state itself so that instances older than the visit table show them too."""

from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.util.task import TaskState

from engine.workflow.models import ProcessInstance
from engine.workflow.runtime import WorkflowEngine

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass(frozen=True)
class Token:
    task_guid: str
    bpmn_id: str
    name: str


def active_tokens(engine: WorkflowEngine, instance: ProcessInstance) -> list[Token]:
    """The active tasks of real BPMN elements (not the engine's own internal steps)."""
    wf = engine.load(instance)
    tokens = []
    for task in wf.get_tasks(state=ACTIVE):
        spec = task.task_spec
        bpmn_id = getattr(spec, "bpmn_id", None)
        if bpmn_id:
            tokens.append(Token(str(task.id), bpmn_id, getattr(spec, "bpmn_name", None) or bpmn_id))
    return tokens
