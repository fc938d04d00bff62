"""Writing element visits: where each token entered, left, how, and who completed it.

Called by the runtime at every save of an instance (and by ``terminate``), inside the same
transaction, so ``element_visits`` always agrees with the saved state. The instance viewer's
element history and the per-version heat map read this table instead of walking thousands of
serialized workflows.

Cost per save: one pass over the workflow's task dictionaries, then at most one UPDATE per kind
of closing (usually one: "completed by this user") and one bulk INSERT; a save that moves no
token sends nothing. The task ids of the open visits travel in the state (on the root task), like
the message waits, so no SELECT is needed; an instance saved before visits existed reads its open
visits once with one indexed SELECT (``ix_element_visits_open``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from engine.workflow.models import ElementVisit, ProcessInstance, VisitOutcome

OPEN_MARK = "guichet_open_visits"  # internal data of the root task: guids of the open visits
VERSION_MARK = "guichet_visits_version"  # … and the version they were opened under
CYCLES_MARK = "guichet_cycles_counted"  # internal data of a cycle timer task: firings already written

VISITS = ElementVisit.__table__
# Core statements built once: a save pays for executing them, not for building them
_INSERT = VISITS.insert()
_CLOSE = (
    VISITS.update()
    .where(
        VISITS.c.instance_id == bindparam("iid"),
        VISITS.c.left_at.is_(None),
        VISITS.c.task_guid.in_(bindparam("guids", expanding=True)),
    )
    .values(left_at=bindparam("now"), outcome=bindparam("outcome"), actor_id=bindparam("actor"))
)
_CLOSE_ALL = (
    VISITS.update()
    .where(VISITS.c.instance_id == bindparam("iid"), VISITS.c.left_at.is_(None))
    .values(left_at=bindparam("now"), outcome=VisitOutcome.CANCELLED.value)
)
_OPEN = select(VISITS.c.task_guid).where(VISITS.c.instance_id == bindparam("iid"), VISITS.c.left_at.is_(None))

# a token is *at* an element while its task is in one of these states
ACTIVE_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def is_flow_node(task: Any) -> bool:
    """True for tasks of real BPMN elements; SpiffWorkflow's own specs (the root, Start, End,
    ``*.EndJoin``, ``*.BoundaryEventSplit/Join``) have no ``bpmn_id``."""
    return getattr(task.task_spec, "bpmn_id", None) is not None


def all_tasks(wf: BpmnWorkflow) -> Iterator[Any]:
    """Every task of the instance, those of its subprocesses and call activities included
    (SpiffWorkflow keeps each subprocess's tasks in its own dictionary)."""
    yield from wf.tasks.values()
    for sub in wf.subprocesses.values():
        yield from sub.tasks.values()


def find_task(wf: BpmnWorkflow, guid: Any) -> Any | None:
    """The task with this id anywhere in the instance, or None when it is gone from the tree."""
    task = wf.tasks.get(guid)
    if task is not None:
        return task
    for sub in wf.subprocesses.values():
        task = sub.tasks.get(guid)
        if task is not None:
            return task
    return None


def _merged_join(task: Any, completed_ids: set[str]) -> bool:
    """A parallel/inclusive join keeps one waiting task per arriving token; when the last one
    arrives SpiffWorkflow completes that one and cancels the others. Those tokens were merged,
    not cancelled by anything: they count as having passed."""
    return task is not None and task.state == TaskState.CANCELLED and task.task_spec.bpmn_id in completed_ids


def _cycles_fired(task: Any) -> int:
    """How many times a waiting cycle timer fired since the last save (0 for anything else).

    A non-interrupting cycle timer never completes between firings: SpiffWorkflow adds a child
    to the same waiting task each time. The number of children already counted travels in the
    task's internal data."""
    if not isinstance(getattr(task.task_spec, "event_definition", None), CycleTimerEventDefinition):
        return 0
    outputs = task.task_spec.outputs
    if not outputs:
        return 0
    # each firing adds one child per output (the join of the boundary events is one of them)
    fired = sum(1 for c in task.children if c.task_spec is outputs[0] and not c.state & TaskState.PREDICTED_MASK)
    counted = task.internal_data.get(CYCLES_MARK, 0)
    task.internal_data[CYCLES_MARK] = fired
    return max(fired - counted, 0)


def sync_visits(
    session: Session,
    instance: ProcessInstance,
    wf: BpmnWorkflow,
    completed: Sequence[tuple[Any, int | None]],
    now: dt.datetime,
    *,
    new_instance: bool = False,
) -> None:
    """Bring ``element_visits`` in step with ``wf`` as it is about to be saved.

    ``completed`` holds the tasks completed since the instance was loaded, each with the user
    who completed it (None for engine work). ``new_instance`` says the instance cannot have
    visits yet. Call it before the state is dumped: it records the open visits in the state."""
    done: dict[str, tuple[Any, int | None]] = {}
    for task, actor_id in completed:
        if task.state == TaskState.COMPLETED and is_flow_node(task):
            done[str(task.id)] = (task, actor_id)
    active = {str(t.id): t for t in all_tasks(wf) if t.state & ACTIVE_STATES and is_flow_node(t)}
    root = wf.task_tree
    version_id = instance.process_version_id
    open_guids: list[str] | None = root.internal_data.get(OPEN_MARK)
    if open_guids is None:  # a new instance, or one saved before visits existed
        open_guids = [] if new_instance else list(session.connection().scalars(_OPEN, {"iid": instance.id}))

    done_bpmn_ids = {task.task_spec.bpmn_id for task, _ in done.values()}
    rows: list[dict[str, Any]] = []
    closing: dict[tuple[str, int | None], list[str]] = defaultdict(list)
    still_open: set[str] = set()
    # migrated to another version since the last save: the tokens leave the old version's
    # elements (cancelled there) and enter the new version's, so each heat map keeps its own
    migrated = root.internal_data.get(VERSION_MARK, version_id) != version_id
    for guid in open_guids:
        if guid in done:
            closing[(VisitOutcome.COMPLETED.value, done[guid][1])].append(guid)
        elif guid in active and migrated:
            closing[(VisitOutcome.CANCELLED.value, None)].append(guid)
        elif guid in active:
            fired = _cycles_fired(active[guid])
            if fired:  # each firing of a cycle timer is a pass; the token waits for the next one
                closing[(VisitOutcome.COMPLETED.value, None)].append(guid)
                rows += [_row(instance.id, version_id, active[guid], now, now, VisitOutcome.COMPLETED, None)] * (
                    fired - 1
                )
            else:
                still_open.add(guid)
        else:
            task = find_task(wf, _uuid(guid))
            # completed outside an engine step (a service call's result, a retried task)
            passed = task is not None and task.state == TaskState.COMPLETED
            outcome = VisitOutcome.COMPLETED if passed or _merged_join(task, done_bpmn_ids) else VisitOutcome.CANCELLED
            closing[(outcome.value, None)].append(guid)
    known = set(open_guids)
    for guid, task in active.items():
        if guid not in known:  # a new token (or one older than visits): its past firings are not ours
            _cycles_fired(task)

    rows += [
        _row(instance.id, version_id, task, now, now, VisitOutcome.COMPLETED, actor_id)
        for guid, (task, actor_id) in done.items()
        if guid not in known
    ]
    rows += [
        _row(instance.id, version_id, task, now, None, None, None)
        for guid, task in active.items()
        if guid not in still_open
    ]
    _write(session.connection(), instance.id, now, closing, rows)
    root.internal_data[OPEN_MARK] = sorted(active)
    root.internal_data[VERSION_MARK] = version_id


def _write(
    connection: Connection,
    instance_id: int,
    now: dt.datetime,
    closing: dict[tuple[str, int | None], list[str]],
    rows: list[dict[str, Any]],
) -> None:
    """Close, then insert (a cycle timer's new open visit has the task id of the one it closes).
    On PostgreSQL the usual pair (close the completed task, open the next) is one statement: the
    UPDATE rides in a WITH clause of the INSERT, which sees the table as it was before it."""
    groups = list(closing.items())
    merge = bool(rows and groups) and connection.dialect.name == "postgresql"
    last = groups.pop() if merge else None
    for (outcome, actor_id), guids in groups:
        connection.execute(
            _CLOSE, {"iid": instance_id, "guids": guids, "now": now, "outcome": outcome, "actor": actor_id}
        )
    if last is None:
        if rows:
            connection.execute(_INSERT, rows)
        return
    (outcome, actor_id), guids = last
    closed = (
        VISITS.update()
        .where(VISITS.c.instance_id == instance_id, VISITS.c.left_at.is_(None), VISITS.c.task_guid.in_(guids))
        .values(left_at=now, outcome=outcome, actor_id=actor_id)
        .cte("closed")
    )
    connection.execute(VISITS.insert().values(rows).add_cte(closed))


def close_all(session: Session, instance_id: int, now: dt.datetime) -> None:
    """Every token of the instance leaves, cancelled (a termination)."""
    session.connection().execute(_CLOSE_ALL, {"iid": instance_id, "now": now})


def _row(
    instance_id: int,
    version_id: int,
    task: Any,
    entered_at: dt.datetime,
    left_at: dt.datetime | None,
    outcome: str | None,
    actor_id: int | None,
) -> dict[str, Any]:
    return {
        "instance_id": instance_id,
        "process_version_id": version_id,
        "bpmn_id": task.task_spec.bpmn_id,
        "task_guid": str(task.id),
        "entered_at": entered_at,
        "left_at": left_at,
        "outcome": None if outcome is None else str(outcome),
        "actor_id": actor_id,
    }


def _uuid(guid: str) -> UUID | None:
    try:
        return UUID(guid)
    except ValueError:
        return None
