"""Workload and overdue work: open human tasks (state ready) per queue and per person, the tasks
whose due date has passed and the tasks nobody took for more than N days.

The counts are one grouped query each over ``human_tasks`` (indexed on state and queue, state and
assignee); the lists are capped (:data:`LIST_CAP`) and come with their full count, so the page
costs the same with ten tasks or a hundred thousand. Boundaries: a task is overdue when
``due_at < now`` (due this very second is not yet late); unclaimed for more than N days when it
has no assignee and ``created_at < now - N days``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.cases.models import Dossier
from engine.db import utcnow
from engine.monitoring.filters import Scope
from engine.workflow.models import HumanTask, HumanTaskState

LIST_CAP = 200
DEFAULT_UNCLAIMED_DAYS = 5
UNCLAIMED_DAYS_RANGE = (1, 365)


def _filters(scope: Scope) -> tuple[list[ColumnElement[bool]], bool]:
    """Conditions on open tasks for the scope, and whether they need the dossier joined."""
    conditions: list[ColumnElement[bool]] = [HumanTask.state == HumanTaskState.READY]
    if scope.queue:
        conditions.append(HumanTask.queue == scope.queue)
    if scope.person_id is not None:
        conditions.append(HumanTask.assignee_id == scope.person_id)
    needs_dossier = False
    if scope.dossier_type:
        conditions.append(Dossier.type == scope.dossier_type)
        needs_dossier = True
    if scope.subtype_id is not None:
        conditions.append(Dossier.subtype_id == scope.subtype_id)
        needs_dossier = True
    if scope.project:
        conditions.append(Dossier.main_project == scope.project)
        needs_dossier = True
    return conditions, needs_dossier


def _scoped(query: Select[Any], scope: Scope) -> Select[Any]:
    conditions, needs_dossier = _filters(scope)
    if needs_dossier:
        query = query.join(Dossier, Dossier.process_instance_id == HumanTask.instance_id)
    return query.where(*conditions)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class LoadRow:
    key: str | int | None  # queue code, or user id (None: nobody / no queue)
    name: str | None  # the person's name (queues are labelled by the page)
    open: int
    overdue: int
    unassigned: int
    unclaimed: int  # unassigned for more than N days


@dataclass(frozen=True)
class TaskRow:
    id: int
    name: str
    queue: str | None
    assignee_id: int | None
    assignee_name: str | None
    due_at: dt.datetime | None
    created_at: dt.datetime
    instance_id: int
    dossier_id: int | None
    dossier_number: str | None
    dossier_type: str | None


@dataclass(frozen=True)
class TaskList:
    rows: list[TaskRow]
    total: int

    @property
    def capped(self) -> bool:
        return self.total > len(self.rows)


@dataclass(frozen=True)
class Workload:
    now: dt.datetime
    unclaimed_days: int
    per_queue: list[LoadRow]
    per_person: list[LoadRow]
    overdue: TaskList
    unclaimed: TaskList


def _load_columns(now: dt.datetime, cutoff: dt.datetime) -> list[ColumnElement[Any]]:
    unassigned = HumanTask.assignee_id.is_(None)
    return [
        func.count().label("open"),
        _flag(HumanTask.due_at < now).label("overdue"),
        _flag(unassigned).label("unassigned"),
        _flag(unassigned & (HumanTask.created_at < cutoff)).label("unclaimed"),
    ]


def _per_queue(session: Session, scope: Scope, now: dt.datetime, cutoff: dt.datetime) -> list[LoadRow]:
    query = _scoped(select(HumanTask.queue, *_load_columns(now, cutoff)).select_from(HumanTask), scope)
    rows = session.execute(query.group_by(HumanTask.queue)).all()
    result = [LoadRow(r[0], None, int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]
    return sorted(result, key=lambda r: (-r.open, r.key is None, str(r.key or "")))


def _per_person(session: Session, scope: Scope, now: dt.datetime, cutoff: dt.datetime) -> list[LoadRow]:
    query = _scoped(select(HumanTask.assignee_id, User.name, *_load_columns(now, cutoff))
                    .select_from(HumanTask).outerjoin(User, User.id == HumanTask.assignee_id), scope)
    rows = session.execute(query.group_by(HumanTask.assignee_id, User.name)).all()
    result = [LoadRow(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]
    # the unassigned row last: it is not a person's load
    return sorted(result, key=lambda r: (r.key is None, -r.open, r.name or ""))


def _task_list(session: Session, scope: Scope, condition: ColumnElement[bool], order: list[Any],
               cap: int) -> TaskList:
    conditions, needs_dossier = _filters(scope)
    total_query = select(func.count()).select_from(HumanTask)
    if needs_dossier:
        total_query = total_query.join(Dossier, Dossier.process_instance_id == HumanTask.instance_id)
    total = int(session.scalar(total_query.where(*conditions, condition)) or 0)
    query = (
        select(HumanTask.id, HumanTask.name, HumanTask.queue, HumanTask.assignee_id, User.name,
               HumanTask.due_at, HumanTask.created_at, HumanTask.instance_id, Dossier.id, Dossier.number,
               Dossier.type)
        .select_from(HumanTask)
        .outerjoin(User, User.id == HumanTask.assignee_id)
        .outerjoin(Dossier, Dossier.process_instance_id == HumanTask.instance_id)
        .where(*conditions, condition).order_by(*order).limit(cap)
    )
    return TaskList([TaskRow(*row) for row in session.execute(query)], total)


def workload(session: Session, scope: Scope, *, unclaimed_days: int = DEFAULT_UNCLAIMED_DAYS,
             now: dt.datetime | None = None, cap: int = LIST_CAP) -> Workload:
    """Open tasks per queue and per person, the overdue list and the unclaimed list."""
    low, high = UNCLAIMED_DAYS_RANGE
    if not low <= unclaimed_days <= high:
        raise ValueError(f"The number of days must be between {low} and {high}.")
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=unclaimed_days)
    return Workload(
        now=now, unclaimed_days=unclaimed_days,
        per_queue=_per_queue(session, scope, now, cutoff),
        per_person=_per_person(session, scope, now, cutoff),
        overdue=_task_list(session, scope, HumanTask.due_at < now, [HumanTask.due_at, HumanTask.id], cap),
        unclaimed=_task_list(session, scope, HumanTask.assignee_id.is_(None) & (HumanTask.created_at < cutoff),
                             [HumanTask.created_at, HumanTask.id], cap),
    )
