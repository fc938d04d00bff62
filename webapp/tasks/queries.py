"""Reading task lists from the human-task table (never from the serialized workflows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from engine.access.models import User
from engine.cases.models import Dossier
from engine.workflow.models import HumanTask, HumanTaskState
from webapp.auth.identity import SignedInUser
from webapp.tasks.queues import takeable_queues

LIST_LIMIT = 200


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


def dossier_of_task(session: Session, task: HumanTask) -> Dossier | None:
    return session.scalar(select(Dossier).where(Dossier.process_instance_id == task.instance_id))
