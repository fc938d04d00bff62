"""Reading task lists from the human-task table (never from the serialized workflows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.orm import Session, aliased

from engine.access.models import Role, User
from engine.cases.models import Dossier
from engine.db import utcnow
from engine.workflow.models import HumanTask, HumanTaskState
from webapp.auth.identity import SignedInUser
from webapp.tasks.dates import start_of_day
from webapp.tasks.filters import Cursor, TaskFilter
from webapp.tasks.queues import takeable_queues

LIST_LIMIT = 200
PAGE_SIZE = 100  # rows of the task list per page; "more" continues after the last one (keyset)


@dataclass(frozen=True)
class TaskRow:
    task: HumanTask
    dossier: Dossier | None
    assignee_name: str | None


def _rows(session: Session, query: Select[Any]) -> list[TaskRow]:
    return [TaskRow(task, dossier, name) for task, dossier, name in session.execute(query).all()]


def _base_query() -> Select[Any]:
    assignee = aliased(User)
    return (
        select(HumanTask, Dossier, assignee.name)
        .outerjoin(Dossier, Dossier.process_instance_id == HumanTask.instance_id)
        .outerjoin(assignee, assignee.id == HumanTask.assignee_id)
        .where(HumanTask.state == HumanTaskState.READY)
    )


def _by_urgency(query: Select[Any]) -> Select[Any]:
    # due_at ASC NULLS LAST is PostgreSQL's default index order: ix_human_tasks_available serves it
    return query.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.created_at, HumanTask.id)


def my_tasks(session: Session, user: SignedInUser) -> list[TaskRow]:
    """Ready tasks assigned to ``user``, most urgent first."""
    query = _by_urgency(_base_query().where(HumanTask.assignee_id == user.id)).limit(LIST_LIMIT)
    return _rows(session, query)


def available_tasks(session: Session, user: SignedInUser) -> list[TaskRow]:
    """Unassigned ready tasks of the queues ``user`` may take from."""
    query = _by_urgency(
        _base_query().where(HumanTask.assignee_id.is_(None), takeable_queues(user))
    ).limit(LIST_LIMIT)
    return _rows(session, query)


def open_tasks_of_instance(session: Session, instance_id: int) -> list[TaskRow]:
    query = _base_query().where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
    return _rows(session, query)


def visible_tasks(user: SignedInUser) -> ColumnElement[bool]:
    """The SQL condition on HumanTask matching the task page's "may see": dispatchers and
    managers see every task, others their own ones and those of the queues they may take from."""
    if user.has_role(Role.DISPATCHER, Role.MANAGER):
        return true()
    return or_(HumanTask.assignee_id == user.id, takeable_queues(user))


def _whose(user: SignedInUser, flt: TaskFilter) -> ColumnElement[bool]:
    if flt.assignee == "me":
        return HumanTask.assignee_id == user.id
    if flt.assignee == "none":
        return and_(HumanTask.assignee_id.is_(None), visible_tasks(user))
    if flt.assignee == "available":
        return and_(HumanTask.assignee_id.is_(None), takeable_queues(user))
    if flt.assignee == "any":
        return visible_tasks(user)
    return and_(HumanTask.assignee_id == flt.assignee_id, visible_tasks(user))


def _after(cursor: Cursor) -> ColumnElement[bool]:
    """Rows after ``cursor`` in the order due date (empty last), creation, id."""
    same_due_later = or_(
        HumanTask.created_at > cursor.created_at,
        and_(HumanTask.created_at == cursor.created_at, HumanTask.id > cursor.id),
    )
    if cursor.due_at is None:
        return and_(HumanTask.due_at.is_(None), same_due_later)
    return or_(
        HumanTask.due_at > cursor.due_at,
        HumanTask.due_at.is_(None),
        and_(HumanTask.due_at == cursor.due_at, same_due_later),
    )


@dataclass(frozen=True)
class TaskPage:
    rows: list[TaskRow]
    next_cursor: Cursor | None  # None: this is the last page
    now: dt.datetime

    def is_overdue(self, task: HumanTask) -> bool:
        return task.due_at is not None and task.due_at < self.now


def task_page(session: Session, user: SignedInUser, flt: TaskFilter, *, size: int = PAGE_SIZE) -> TaskPage:
    """One page of the task list: open tasks matching ``flt`` that ``user`` may see, overdue
    (earliest due) first. Every filter narrows an indexed scan of the open tasks (see the
    ix_human_tasks_* indexes) and the page is capped, so a long list costs what a short one does."""
    now = utcnow()
    query = _base_query().where(_whose(user, flt))
    if flt.queue:
        query = query.where(HumanTask.queue == flt.queue)
    if flt.dossier_type:
        query = query.where(Dossier.type == flt.dossier_type)
    if flt.phase:
        query = query.where(HumanTask.phase == flt.phase)
    if flt.overdue:
        query = query.where(HumanTask.due_at < now)
    if flt.due_before:
        query = query.where(HumanTask.due_at < start_of_day(flt.due_before + dt.timedelta(days=1)))
    if flt.due_after:
        query = query.where(HumanTask.due_at >= start_of_day(flt.due_after))
    if flt.after:
        query = query.where(_after(flt.after))
    rows = _rows(session, _by_urgency(query).limit(size + 1))
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1].task if more else None
    cursor = Cursor(last.due_at, last.created_at, last.id) if last is not None else None
    return TaskPage(rows, cursor, now)


def task_row(session: Session, task_id: int) -> TaskRow | None:
    """One open task with its dossier and assignee name, to redraw its row after a change (None
    once it is closed: its row leaves the list)."""
    rows = _rows(session, _base_query().execution_options(populate_existing=True).where(HumanTask.id == task_id))
    return rows[0] if rows else None


def dossier_of_task(session: Session, task: HumanTask) -> Dossier | None:
    return session.scalar(select(Dossier).where(Dossier.process_instance_id == task.instance_id))
