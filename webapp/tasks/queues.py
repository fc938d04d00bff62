"""Who may take a task from which queue.

A task's queue is its lane's name (or a ``queue`` property). Until teams and queue membership
exist (engine/access), the rule is:
  - a queue named after a role (``manager``, ``dispatcher``…) is taken by people with that role;
  - any other queue (``frontdesk``, thematic queues) and tasks without a queue are taken by
    case workers;
  - dispatchers take from every queue (and administrators pass every role check).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true

from engine.access.models import Role
from engine.workflow.models import HumanTask
from webapp.auth.identity import SignedInUser

ROLE_NAMES = [role.value for role in Role]


def can_take(user: SignedInUser, queue: str | None) -> bool:
    if user.has_role(Role.DISPATCHER):
        return True
    if queue in ROLE_NAMES:
        return Role(queue) in user.roles
    return Role.CASE_WORKER in user.roles


def takeable_queues(user: SignedInUser) -> ColumnElement[bool]:
    """The SQL condition on HumanTask.queue matching :func:`can_take`."""
    if user.has_role(Role.DISPATCHER):
        return true()
    conditions: list[ColumnElement[bool]] = []
    own = [role.value for role in user.roles]
    if own:
        conditions.append(HumanTask.queue.in_(own))
    if Role.CASE_WORKER in user.roles:
        conditions.append(or_(HumanTask.queue.is_(None), HumanTask.queue.not_in(ROLE_NAMES)))
    return or_(*conditions) if conditions else false()
