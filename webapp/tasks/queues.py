"""Who may take a task from which queue.

A task's queue is its lane's name (or a ``queue`` property). The rule:
  - dispatchers and administrators take from every queue;
  - a queue that exists as data (engine/queues, Admin → Queues) is taken by its members;
  - a queue named after a role (``manager``, ``dispatcher``…) is taken by people with that role;
  - any other queue (not configured) and tasks without a queue are taken by case workers.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from engine.access.models import Role
from engine.queues.commands import member_codes
from engine.queues.models import Queue
from engine.workflow.models import HumanTask
from webapp.auth.identity import SignedInUser
from webapp.context import db_session

ROLE_NAMES = [role.value for role in Role]


def can_take(user: SignedInUser, queue: str | None) -> bool:
    if user.has_role(Role.DISPATCHER):
        return True
    session = db_session()
    if queue is not None and session.scalar(select(Queue.id).where(Queue.code == queue)) is not None:
        return queue in member_codes(session, user.id)
    if queue in ROLE_NAMES:
        return Role(queue) in user.roles
    return Role.CASE_WORKER in user.roles


def takeable_among(user: SignedInUser, queues: set[str | None]) -> dict[str | None, bool]:
    """:func:`can_take` for several queues at once, in two queries whatever their number (a
    page of the task list asks for each queue of its unassigned tasks)."""
    if not queues:
        return {}
    if user.has_role(Role.DISPATCHER):
        return dict.fromkeys(queues, True)
    session = db_session()
    named = [queue for queue in queues if queue is not None]
    configured = set(session.scalars(select(Queue.code).where(Queue.code.in_(named)))) if named else set()
    mine = member_codes(session, user.id) if configured else set()
    answers: dict[str | None, bool] = {}
    for queue in queues:
        if queue in configured:
            answers[queue] = queue in mine
        elif queue in ROLE_NAMES:
            answers[queue] = Role(queue) in user.roles
        else:
            answers[queue] = Role.CASE_WORKER in user.roles
    return answers


def takeable_queues(user: SignedInUser) -> ColumnElement[bool]:
    """The SQL condition on HumanTask.queue matching :func:`can_take`."""
    if user.has_role(Role.DISPATCHER):
        return true()
    configured = select(Queue.code).scalar_subquery()
    conditions: list[ColumnElement[bool]] = []
    mine = sorted(member_codes(db_session(), user.id))
    if mine:
        conditions.append(HumanTask.queue.in_(mine))
    own = [role.value for role in user.roles]
    if own:
        conditions.append(and_(HumanTask.queue.in_(own), HumanTask.queue.not_in(configured)))
    if Role.CASE_WORKER in user.roles:
        conditions.append(or_(HumanTask.queue.is_(None),
                              and_(HumanTask.queue.not_in(ROLE_NAMES), HumanTask.queue.not_in(configured))))
    return or_(*conditions) if conditions else false()
