"""Read-only views of instances for the instance viewer: where the tokens are, what happened at
one element, and the heat map of a version.

Nothing here changes state. ``instance_overview`` reads the workflow state itself (so instances
started before ``element_visits`` existed show correctly too); ``element_history`` reads the
visits and, only when asked, the data from the state; ``heat_map`` (engine/workflow/heat_rollup.py)
reads the roll-up of the version's visits plus the few visits the roll-up does not hold yet.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.workflow.errors import NotFound
from engine.workflow.heat_rollup import HeatCell, heat_map  # noqa: F401 - the contract's names, kept here
from engine.workflow.models import (
    ElementVisit,
    HumanTask,
    HumanTaskState,
    Incident,
    IncidentStatus,
    InstanceStatus,
    ProcessInstance,
    ProcessVersion,
)
from engine.workflow.runtime import WorkflowEngine
from engine.workflow.serialization import to_jsonable
from engine.workflow.visits import ACTIVE_STATES, all_tasks, find_task, is_flow_node

MAX_KEYS = 50  # a data side shows at most this many keys …
MAX_BYTES = 20_000  # … and about this much JSON; the rest is counted under TRUNCATED_KEY
TRUNCATED_KEY = "…truncated"


@dataclass(frozen=True)
class ElementMark:
    """What happened at one element in one instance."""

    bpmn_id: str
    completed: int  # how many times a token passed (completed) here
    active: int  # tokens here now (ready / waiting / started / error)
    incident: bool  # an open incident sits on this element


@dataclass(frozen=True)
class InstanceOverview:
    instance: ProcessInstance
    version: ProcessVersion
    marks: dict[str, ElementMark]  # bpmn_id -> mark, from the workflow state
    incidents: list[Incident]  # open or retrying
    ready_tasks: list[HumanTask]  # open human tasks
    newer_versions: list[ProcessVersion]  # same key, higher version number, oldest first


@dataclass(frozen=True)
class VisitView:
    task_guid: str
    entered_at: dt.datetime
    left_at: dt.datetime | None
    outcome: str | None  # "completed" | "cancelled" | None (still here)
    actor: str | None  # name of who completed it (human tasks), else None
    data_in: dict[str, Any] | None  # None when with_data=False or unknown
    data_out: dict[str, Any] | None  # keys the element added or changed


def _instance(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"Process instance {instance_id} does not exist.")
    return instance


def instance_overview(session: Session, engine: WorkflowEngine, instance_id: int) -> InstanceOverview:
    """Where the instance's tokens are and have been, its open incidents and tasks, and the
    versions it could be migrated to. Raises NotFound for an unknown id."""
    instance = _instance(session, instance_id)
    version = instance.process_version
    completed: Counter[str] = Counter()
    active: Counter[str] = Counter()
    if instance.state:
        wf = engine.load(instance)
        for task in all_tasks(wf):
            if not is_flow_node(task):
                continue
            if task.state == TaskState.COMPLETED:
                completed[task.task_spec.bpmn_id] += 1
            elif task.state & ACTIVE_STATES:
                active[task.task_spec.bpmn_id] += 1
    if instance.status == InstanceStatus.TERMINATED:
        active.clear()  # termination removed every token; the state keeps where they were
    incidents = list(
        session.scalars(
            select(Incident)
            .where(
                Incident.instance_id == instance.id,
                Incident.status.in_([IncidentStatus.OPEN, IncidentStatus.RETRYING]),
            )
            .order_by(Incident.id)
        )
    )
    on_incident = {i.bpmn_id for i in incidents if i.bpmn_id}
    marks = {
        bpmn_id: ElementMark(bpmn_id, completed[bpmn_id], active[bpmn_id], bpmn_id in on_incident)
        for bpmn_id in sorted(set(completed) | set(active) | on_incident)
    }
    ready_tasks = list(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance.id, HumanTask.state == HumanTaskState.READY)
            .order_by(HumanTask.id)
        )
    )
    newer_versions = list(
        session.scalars(
            select(ProcessVersion)
            .where(ProcessVersion.key == version.key, ProcessVersion.version > version.version)
            .order_by(ProcessVersion.version)
        )
    )
    return InstanceOverview(instance, version, marks, incidents, ready_tasks, newer_versions)


def element_history(
    session: Session, engine: WorkflowEngine, instance_id: int, bpmn_id: str, *, with_data: bool
) -> list[VisitView]:
    """Every visit of one element in one instance, oldest first. With ``with_data`` the data
    each visit received and what it added or changed are read from the workflow state; a task
    no longer in the state (or an instance without one) gives None for both."""
    instance = _instance(session, instance_id)
    rows = session.execute(
        select(ElementVisit, User.name)
        .outerjoin(User, User.id == ElementVisit.actor_id)
        .where(ElementVisit.instance_id == instance.id, ElementVisit.bpmn_id == bpmn_id)
        .order_by(ElementVisit.entered_at, ElementVisit.id)
    ).all()
    wf = engine.load(instance) if with_data and rows and instance.state else None
    # a task visited again (a token moved back, a cycle timer) keeps only its latest data
    latest = {visit.task_guid: visit.id for visit, _ in rows}
    views = []
    for visit, actor in rows:
        data_in, data_out = None, None
        if wf is not None and latest[visit.task_guid] == visit.id:
            data_in, data_out = _visit_data(wf, visit.task_guid, still_there=visit.left_at is None)
        views.append(
            VisitView(
                task_guid=visit.task_guid,
                entered_at=visit.entered_at,
                left_at=visit.left_at,
                outcome=visit.outcome,
                actor=actor,
                data_in=data_in,
                data_out=data_out,
            )
        )
    return views


def _visit_data(wf: Any, guid: str, *, still_there: bool) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(data received, keys added or changed) of one visit, from the task in the tree."""
    try:
        task = find_task(wf, UUID(guid))
    except ValueError:
        return None, None
    if task is None or bool(task.state & ACTIVE_STATES) != still_there:
        return None, None  # gone, or the tree no longer holds the data of that visit
    if still_there:
        return cap(dict(task.data)), None
    before = dict(task.parent.data) if task.parent is not None else {}
    after = dict(task.data)
    changed = {k: v for k, v in after.items() if k not in before or not _same(before[k], v)}
    return cap(before), cap(changed)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # values whose comparison fails (arrays, odd objects) count as changed
        return False


def cap(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy of ``data`` with at most MAX_KEYS keys and about MAX_BYTES of JSON; what
    is left out is counted under TRUNCATED_KEY so the viewer says the data is incomplete."""
    out: dict[str, Any] = {}
    size = 0
    left_out = 0
    for key, value in data.items():
        safe = json.loads(json.dumps(to_jsonable(value), default=str))
        weight = len(json.dumps(safe, ensure_ascii=False)) + len(str(key)) + 4
        if len(out) >= MAX_KEYS or size + weight > MAX_BYTES:
            left_out += 1
            continue
        out[str(key)] = safe
        size += weight
    if left_out:
        out[TRUNCATED_KEY] = f"{left_out} more key(s) not shown"
    return out
