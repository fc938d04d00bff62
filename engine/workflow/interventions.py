"""A process designer's repairs on a running case: move its token, move it to a newer version.

These are the commands of the instance viewer for cases that went wrong (a wrong branch taken,
a step to do again, a diagram fixed after the case started). Each one is a command of the
engine's kind: it runs in the caller's transaction, refuses with a message that says what to do,
saves through the engine's normal save path (so human-task rows, service calls, timers, message
waits and element visits stay in step), is protected by the instance's optimistic lock and is
audited with the reason the designer gave. A refusal changes nothing.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    BoundaryEvent,
    IntermediateCatchEvent,
    ReceiveTask,
    SendTask,
)
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess, SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.workflow import audit
from engine.workflow.errors import EngineError, InvalidState, MigrationRefused, NotFound
from engine.workflow.models import (
    HumanTask,
    HumanTaskState,
    Incident,
    IncidentStatus,
    InstanceStatus,
    ProcessInstance,
    ProcessVersion,
    ServiceCall,
    ServiceCallStatus,
)
from engine.workflow.runtime import ENDED, HUMAN_TASK_MARK, WorkflowEngine, _Step, command
from engine.workflow.serialization import dump_state, load_state, spec_registry

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
# elements a token may be put on: activities of any kind and intermediate catch events
MOVABLE_TO = (
    UserTask,
    ManualTask,
    NoneTask,
    ScriptEngineTask,
    BusinessRuleTaskMixin,
    SendTask,
    ReceiveTask,
    SubWorkflowTask,
    LoopTask,
    IntermediateCatchEvent,
)
NOT_MOVABLE_TO = (BoundaryEvent, EventSubprocess)


# ----------------------------------------------------------------------------- helpers


def _require_reason(reason: str, action: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidState(f"Give a reason for {action}: it is kept in the case's history.")
    return text


def _label(spec: Any) -> str:
    return spec.bpmn_name or spec.bpmn_id or spec.name


def _named(spec: Any) -> str:
    """'Enter amount' (enter), as a designer finds it on the diagram."""
    if spec.bpmn_id and spec.bpmn_name:
        return f"'{spec.bpmn_name}' ({spec.bpmn_id})"
    return f"'{spec.bpmn_id or spec.name}'"


def _kind(spec: Any) -> str:
    return (getattr(spec, "description", None) or "element").lower()


def _is_diagram_element(spec: Any) -> bool:
    """A flow node drawn on the diagram (not one of SpiffWorkflow's internal specs)."""
    return bool(spec.bpmn_id) and spec.name == spec.bpmn_id


def _may_receive_token(spec: Any) -> bool:
    return _is_diagram_element(spec) and isinstance(spec, MOVABLE_TO) and not isinstance(spec, NOT_MOVABLE_TO)


def _open_instance(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"Process instance {instance_id} does not exist.")
    if instance.status in ENDED:
        raise InvalidState(f"This case is {instance.status}; a token can only be moved in a running case.")
    return instance


def _source_task(wf: BpmnWorkflow, task_guid: str) -> Any:
    try:
        task = wf.get_task_from_id(UUID(str(task_guid)))
    except (ValueError, TaskNotFoundException):  # a malformed id, or one SpiffWorkflow does not know
        task = None
    if task is None:
        raise NotFound("This task is no longer in the case (it may have moved on); reload the case.")
    if not task.has_state(ACTIVE):
        raise InvalidState(
            f"No token is at {_named(task.task_spec)} any more (it is {TaskState.get_name(task.state).lower()}); "
            "reload the case."
        )
    if not _is_diagram_element(task.task_spec):
        raise InvalidState("This task is internal to the engine; move the token of a task of the diagram.")
    if isinstance(task.task_spec, BoundaryEvent):
        raise InvalidState(
            f"{_named(task.task_spec)} is a boundary event: it waits together with its task. "
            "Move the token of the task it is attached to."
        )
    return task


def _targets(task: Any) -> dict[str, Any]:
    """bpmn_id -> spec of the elements of the source's own process scope a token may go to."""
    return {
        spec.bpmn_id: spec
        for spec in task.workflow.spec.task_specs.values()
        if _may_receive_token(spec) and spec.bpmn_id != task.task_spec.bpmn_id
    }


def _close_rows_of(session: Session, instance: ProcessInstance, guids: list[str], why: str) -> None:
    """Cancel what the database still holds open for tasks that left the tree or were cancelled:
    their human-task rows, their pending service calls and their incidents."""
    if not guids:
        return
    now = utcnow()
    session.execute(
        update(HumanTask)
        .where(HumanTask.task_guid.in_(guids), HumanTask.state == HumanTaskState.READY)
        .values(state=HumanTaskState.CANCELLED, completed_at=now)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(
        update(ServiceCall)
        .where(
            ServiceCall.instance_id == instance.id,
            ServiceCall.task_guid.in_(guids),
            ServiceCall.status.in_([ServiceCallStatus.PENDING, ServiceCallStatus.RUNNING, ServiceCallStatus.FAILED]),
        )
        .values(status=ServiceCallStatus.CANCELLED, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(
        update(Incident)
        .where(
            Incident.instance_id == instance.id,
            Incident.task_guid.in_(guids),
            Incident.status != IncidentStatus.RESOLVED,
        )
        .values(status=IncidentStatus.RESOLVED, resolved_at=now, resolution=why)
        .execution_options(synchronize_session="fetch")
    )


def _reconcile_human_tasks(
    session: Session, engine: WorkflowEngine, instance: ProcessInstance, wf: BpmnWorkflow
) -> None:
    """Make the human-task rows agree with the tree after a reset or a migration.

    A task that SpiffWorkflow re-activates keeps its guid but loses its internal data, so the
    engine's save would insert a second row for it (``task_guid`` is unique). Here an open row is
    kept (with its assignment) and a closed one is reopened as a new piece of work; rows of tasks
    that are no longer ready are cancelled."""
    now = utcnow()
    rows = {
        row.task_guid: row for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id))
    }
    ready = {str(t.id): t for t in wf.get_tasks(manual=True, state=TaskState.READY)}
    for guid, task in ready.items():
        row = rows.get(guid)
        if row is None:
            continue  # a new piece of work: the engine's save inserts its row
        fresh = engine._human_task_row(session, instance, task, now)
        for name in ("process_key", "bpmn_id", "name", "lane", "queue", "form_key", "instructions"):
            setattr(row, name, getattr(fresh, name))
        if row.state != HumanTaskState.READY:
            row.state = HumanTaskState.READY
            row.phase = fresh.phase
            row.assignee_id = fresh.assignee_id
            row.claimed_at = fresh.claimed_at
            row.claimed_by_id = None
            row.due_at = fresh.due_at
            row.follow_up_at = None
            row.created_at = now
            row.completed_at = None
            row.completed_by_id = None
        task.internal_data[HUMAN_TASK_MARK] = "open"
    for guid, row in rows.items():
        if row.state == HumanTaskState.READY and guid not in ready:
            row.state = HumanTaskState.CANCELLED
            row.completed_at = now
            task = _task_or_none(wf, guid)
            if task is not None and task.internal_data.get(HUMAN_TASK_MARK) == "open":
                task.internal_data[HUMAN_TASK_MARK] = "closed"


def _task_or_none(wf: BpmnWorkflow, guid: str) -> Any:
    try:
        return wf.get_task_from_id(UUID(guid))
    except (ValueError, TaskNotFoundException):
        return None


def _advance_and_save(
    session: Session, engine: WorkflowEngine, instance: ProcessInstance, wf: BpmnWorkflow, user_id: int | None
) -> None:
    """Run the engine unless the case is suspended (resume does it then), and save."""
    step = _Step()
    if instance.status != InstanceStatus.SUSPENDED:
        engine._advance(wf, step)
    _reconcile_human_tasks(session, engine, instance, wf)
    engine._save(session, instance, wf, step, user_id)


# ----------------------------------------------------------------------------- move a token


def move_targets(session: Session, engine: WorkflowEngine, instance_id: int, task_guid: str) -> list[tuple[str, str]]:
    """(bpmn_id, label) of the elements the token of ``task_guid`` may be moved to: the
    activities and intermediate catch events of the same process or sub-process."""
    instance = _open_instance(session, instance_id)
    task = _source_task(engine.load(instance), task_guid)
    return sorted(((bpmn_id, _label(spec)) for bpmn_id, spec in _targets(task).items()), key=lambda t: t[1].lower())


def _passed_ancestor(task: Any, bpmn_id: str) -> Any:
    """The newest completed task of ``bpmn_id`` on the path that led to ``task``, if any."""
    node = task.parent
    while node is not None:
        if node.task_spec.bpmn_id == bpmn_id and node.task_spec.name == bpmn_id and node.state == TaskState.COMPLETED:
            return node
        node = node.parent
    return None


def _activate(task: Any, target_spec: Any) -> Any:
    """Cancel ``task`` (with the boundary events that wait with it) and put a new token on
    ``target_spec`` after the task that led to it, carrying the task's data."""
    data = deepcopy(task.data)
    top = task.parent if isinstance(task.parent.task_spec, BoundaryEventSplit) else task
    for sibling in list(top.children) if top is not task else [task]:
        if not sibling.has_state(TaskState.FINISHED_MASK):
            sibling.cancel()
    anchor = top.parent
    split = task.workflow.spec.task_specs.get(f"{target_spec.bpmn_id}.BoundaryEventSplit")
    new = anchor._add_child(split or target_spec, TaskState.FUTURE)
    new.reset_branch(deepcopy(data))
    if new.has_state(ACTIVE):
        new.data.update(deepcopy(data))
    if split is not None and new.state == TaskState.READY:
        new.run()  # opens the task and arms its boundary events; no side effect of its own
    return new


@command
def move_token(
    session: Session,
    engine: WorkflowEngine,
    instance_id: int,
    *,
    task_guid: str,
    to_bpmn_id: str,
    user_id: int | None,
    reason: str,
) -> ProcessInstance:
    """Take the token off one active task and put it on another element of the same scope.

    Back to an element the token already passed: the case is reset to the newest completion of
    that element (what came after is undone; a human task reopens its row). Anywhere else: the
    task is cancelled and the element is activated with the task's data. A suspended case is
    changed but not advanced until it is resumed."""
    why = _require_reason(reason, "moving the token")
    instance = _open_instance(session, instance_id)
    wf = engine.load(instance)
    task = _source_task(wf, task_guid)
    source_spec = task.task_spec
    targets = _targets(task)
    target_spec = targets.get(to_bpmn_id)
    if target_spec is None:
        other = task.workflow.spec.task_specs.get(to_bpmn_id)
        if to_bpmn_id == source_spec.bpmn_id:
            raise InvalidState(f"The token is already at {_named(source_spec)}; choose another element.")
        if other is None or not _is_diagram_element(other):
            raise InvalidState(
                f"There is no element '{to_bpmn_id}' in the process where the token is "
                f"(a token stays within its own process or sub-process)."
            )
        raise InvalidState(
            f"{_named(other)} is {_article(_kind(other))}: a token can only be moved to a task, a sub-process, "
            "a call activity or an intermediate catch event."
        )
    passed = _passed_ancestor(task, to_bpmn_id)
    if passed is not None:
        removed = wf.reset_from_task_id(passed.id)
        gone = [str(t.id) for t in removed]
        how = "back"
    else:
        cancelled_before = {t.id for t in wf.get_tasks(state=TaskState.CANCELLED)}
        _activate(task, target_spec)
        gone = [str(t.id) for t in wf.get_tasks(state=TaskState.CANCELLED) if t.id not in cancelled_before]
        how = "forward"
    _close_rows_of(session, instance, gone, f"token moved to {to_bpmn_id}")
    audit.record(
        session,
        instance,
        "token_moved",
        user_id,
        **{"from": source_spec.bpmn_id, "to": to_bpmn_id, "reason": why, "how": how},
    )
    _advance_and_save(session, engine, instance, wf, user_id)
    return instance


def _article(kind: str) -> str:
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


# ----------------------------------------------------------------------------- migration


def _version(session: Session, version_id: int) -> ProcessVersion:
    version = session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(f"Process version {version_id} does not exist.")
    return version


def _diff(engine: WorkflowEngine, wf: BpmnWorkflow, target: ProcessVersion) -> tuple[Any, dict[Any, Any], Any]:
    parsed = engine.parsed(target)
    top, subs = diff_workflow(spec_registry(), wf, parsed.spec, parsed.subprocess_specs)
    return top, subs, parsed


def _problems_of(wf_diff: Any, target: ProcessVersion) -> list[str]:
    problems = []
    where = f"version {target.version}"
    for task in wf_diff.removed:
        spec = task.task_spec
        if task.has_state(TaskState.PREDICTED_MASK | TaskState.FUTURE) and not task.has_state(ACTIVE):
            continue  # only a prediction: it is drawn again from the new diagram
        if task.has_state(ACTIVE):
            problems.append(f"the {_kind(spec)} {_named(spec)} where this case waits does not exist in {where}")
        elif _is_diagram_element(spec):
            problems.append(
                f"the {_kind(spec)} {_named(spec)} that this case already passed was removed in {where}; "
                "its history could no longer be read"
            )
        elif spec.name.endswith((".BoundaryEventSplit", ".BoundaryEventJoin")):
            owner = spec.name.rsplit(".", 1)[0]
            problems.append(
                f"the boundary events of '{owner}' were all removed in {where}; this case has been at "
                f"'{owner}', so its history could no longer be read"
            )
        else:
            problems.append(f"the engine step '{spec.name}' of this case has no counterpart in {where}")
    for task, new in wf_diff.alignment.items():
        # SpiffWorkflow pairs a removed element with an added one of the same shape; a token is
        # not silently handed to another element: the designer moves it first
        if new is not None and task.has_state(ACTIVE) and new.name != task.task_spec.name:
            spec = task.task_spec
            problems.append(
                f"the {_kind(spec)} {_named(spec)} where this case waits does not exist in {where} "
                f"(it would become {_named(new)}); move the token first"
            )
    for task in wf_diff.changed:
        new = wf_diff.alignment.get(task)
        if new is not None and task.has_state(ACTIVE) and type(new) is not type(task.task_spec):
            problems.append(
                f"{_named(task.task_spec)}, where this case waits, is {_article(_kind(new))} in {where} "
                f"instead of {_article(_kind(task.task_spec))}"
            )
    return problems


def migration_problems(session: Session, engine: WorkflowEngine, instance_id: int, target_version_id: int) -> list[str]:
    """Why the case cannot move to the target version, in words; [] when it can."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"Process instance {instance_id} does not exist.")
    target = _version(session, target_version_id)
    current = instance.process_version
    if instance.status in ENDED:
        return [f"this case is {instance.status}; only a running case can move to another version"]
    if target.key != instance.process_key:
        return [
            f"version {target.version} belongs to the process '{target.key}', this case runs '{instance.process_key}'"
        ]
    if target.version <= current.version:
        return [
            f"this case runs version {current.version}; it can only move to a newer version, "
            f"not to version {target.version}"
        ]
    wf = engine.load(instance)
    try:
        top, subs, _parsed = _diff(engine, wf, target)
    except Exception as exc:  # a diagram SpiffWorkflow cannot align (e.g. changed event sub-processes)
        return [f"the engine cannot compare this case with version {target.version}: {exc}"]
    problems = _problems_of(top, target)
    for sp_id, sp_diff in subs.items():
        sub = wf.subprocesses[sp_id]
        if sp_diff is None:
            owner = wf.get_task_from_id(sp_id)
            name = _named(owner.task_spec) if owner is not None else f"'{sub.spec.name}'"
            problems.append(
                f"the sub-process {name} running in this case calls '{sub.spec.name}', "
                f"which does not exist in version {target.version}"
            )
        else:
            problems.extend(_problems_of(sp_diff, target))
    return list(dict.fromkeys(problems))  # a loop passes the same element more than once


Remembered = dict[UUID, tuple[str, int, dict[str, Any], dict[str, Any]]]


def _remember_waits(wf: BpmnWorkflow) -> Remembered:
    """What a reset would forget about READY/WAITING tasks: a timer's due time, a task's row
    mark, data given to the task while it waited (a message's payload)."""
    return {
        t.id: (t.task_spec.name, t.state, deepcopy(t.internal_data), deepcopy(t.data))
        for t in wf.get_tasks(state=TaskState.READY | TaskState.WAITING)
    }


def _restore_waits(wf: BpmnWorkflow, remembered: Remembered, changed: set[str]) -> None:
    """A waiting task whose element did not change keeps what it had: a timer keeps its due time."""
    for task_id, (spec_name, state, internal, data) in remembered.items():
        task = _task_or_none(wf, str(task_id))
        if task is None or task.state != state or task.task_spec.name != spec_name or spec_name in changed:
            continue
        task.internal_data = internal
        task.data = data


def _repredict_started(wf: BpmnWorkflow) -> None:
    """Running or failed tasks (service calls, sub-processes, a failed script) are not reset;
    draw their successors anew from the new diagram, so that an element added right after them
    is not skipped and no prediction keeps a removed element."""
    for task in wf.get_tasks(state=TaskState.STARTED | TaskState.ERROR):
        task._drop_children()  # the predicted ones; what already ran stays
        task._sync_children(task.task_spec.outputs, TaskState.FUTURE)
        for child in task.children:
            if child.state == TaskState.FUTURE:
                child.task_spec._predict(child, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)


def _prune_stale_predictions(wf: BpmnWorkflow) -> None:
    """Drop predictions (branches not taken yet) that still point at an element of the old
    version: they would be drawn again from the new diagram, and the state would not load."""
    for workflow in [wf, *wf.subprocesses.values()]:
        current = set(map(id, workflow.spec.task_specs.values()))
        for task in list(workflow.tasks.values()):
            if (
                task.id in workflow.tasks
                and task.has_state(TaskState.PREDICTED_MASK)
                and id(task.task_spec) not in current
            ):
                workflow._remove_task(task.id)


def _check_round_trip(wf: BpmnWorkflow, parsed: Any, target: ProcessVersion) -> None:
    """The migrated state must load on the new version before anything is written."""
    try:
        load_state(dump_state(wf), parsed.spec, parsed.subprocess_specs)
    except Exception as exc:  # whatever SpiffWorkflow trips on, the case stays as it was
        raise MigrationRefused(
            [f"the state of this case would not load on version {target.version} ({type(exc).__name__}: {exc})"]
        ) from exc


@command
def migrate_instance(
    session: Session,
    engine: WorkflowEngine,
    instance_id: int,
    *,
    target_version_id: int,
    user_id: int | None,
    reason: str,
) -> ProcessInstance:
    """Move a running case onto a newer version of its diagram. Raises MigrationRefused with
    the reasons when it cannot; nothing is changed then."""
    why = _require_reason(reason, "moving this case to another version")
    problems = migration_problems(session, engine, instance_id, target_version_id)
    if problems:
        raise MigrationRefused(problems)
    instance = session.get(ProcessInstance, instance_id)
    assert instance is not None
    target = _version(session, target_version_id)
    previous = instance.process_version
    wf = engine.load(instance)
    top, subs, parsed = _diff(engine, wf, target)
    changed = {spec.name for spec in _changed_specs(top, subs)}
    remembered = _remember_waits(wf)
    removed = migrate_workflow(top, wf, parsed.spec)
    wf.subprocess_specs = parsed.subprocess_specs
    for sp_id, sp_diff in subs.items():
        sub = wf.subprocesses.get(sp_id)
        if sub is not None and sp_diff is not None:
            removed.extend(migrate_workflow(sp_diff, sub, parsed.subprocess_specs[sub.spec.name]))
    _repredict_started(wf)
    _restore_waits(wf, remembered, changed)
    _prune_stale_predictions(wf)
    _check_round_trip(wf, parsed, target)
    _close_rows_of(session, instance, [str(t.id) for t in removed], f"moved to version {target.version}")
    instance.process_version = target
    instance.process_version_id = target.id
    instance.process_key = target.key
    audit.record(
        session,
        instance,
        "instance_migrated",
        user_id,
        from_version=previous.version,
        to_version=target.version,
        reason=why,
    )
    _advance_and_save(session, engine, instance, wf, user_id)
    return instance


def _changed_specs(top: Any, subs: dict[Any, Any]) -> list[Any]:
    specs = [t.task_spec for t in top.changed]
    for sp_diff in subs.values():
        if sp_diff is not None:
            specs.extend(t.task_spec for t in sp_diff.changed)
    return specs


@dataclass
class MigrationReport:
    migrated: list[int] = field(default_factory=list)
    refused: dict[int, list[str]] = field(default_factory=dict)


def migrate_version(
    session: Session,
    engine: WorkflowEngine,
    from_version_id: int,
    to_version_id: int,
    *,
    user_id: int | None,
    reason: str,
    instance_ids: list[int] | None = None,
) -> MigrationReport:
    """Move the running cases of one version (or the chosen ones) to another; each in its own
    savepoint, so that one refusal never blocks the others."""
    why = _require_reason(reason, "moving these cases to another version")
    source = _version(session, from_version_id)
    _version(session, to_version_id)
    query = select(ProcessInstance.id).where(ProcessInstance.process_version_id == source.id)
    if instance_ids is None:
        query = query.where(ProcessInstance.status.not_in(list(ENDED)))
    else:
        query = query.where(ProcessInstance.id.in_(list(instance_ids)))
    found = list(session.scalars(query.order_by(ProcessInstance.id)))
    report = MigrationReport()
    for missing in sorted(set(instance_ids or []) - set(found)):
        report.refused[missing] = [f"case {missing} does not run version {source.version} of '{source.key}'"]
    for iid in found:
        try:
            with session.begin_nested():
                migrate_instance(session, engine, iid, target_version_id=to_version_id, user_id=user_id, reason=why)
        except MigrationRefused as exc:
            report.refused[iid] = exc.problems
        except EngineError as exc:
            report.refused[iid] = [str(exc)]
        else:
            report.migrated.append(iid)
    return report
