"""What is stuck: open incidents grouped by operator (a failed service call names its operator; a
failed script or timer has none and is grouped under its kind, "script" or "timer"), and the
instances that wait on something other than a person: a timer (``next_timer_at``, soonest first,
those past due flagged), a message (``message_waits``) or a manager (suspended).

An incident is open until resolved: "retrying" ones (a retry sent, not yet back) are listed too.
Lists are capped (:data:`LIST_CAP`) and come with their full count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.db import utcnow
from engine.monitoring.filters import Scope
from engine.workflow.models import (
    Incident,
    IncidentStatus,
    InstanceStatus,
    MessageWait,
    ProcessInstance,
    ServiceCall,
)

LIST_CAP = 200
ENDED = (InstanceStatus.COMPLETED.value, InstanceStatus.TERMINATED.value)

T = TypeVar("T")



def operator_expression() -> ColumnElement[str]:
    """The operator of a failed service call, else the incident's kind ("script", "timer")."""
    return func.coalesce(ServiceCall.operator, Incident.kind)


@dataclass(frozen=True)
class Subject:
    """The case an instance works on: a dossier (number, type) or another subject by its label."""

    instance_id: int
    process_key: str
    dossier_id: int | None
    dossier_number: str | None
    dossier_type: str | None
    subject_type: str | None
    subject_id: int | None


@dataclass(frozen=True)
class OperatorGroup:
    operator: str
    count: int
    oldest: dt.datetime


@dataclass(frozen=True)
class IncidentRow:
    id: int
    operator: str
    kind: str
    status: str
    error: str
    bpmn_id: str | None
    retries: int
    created_at: dt.datetime
    subject: Subject


@dataclass(frozen=True)
class WaitingRow:
    subject: Subject
    status: str
    since: dt.datetime  # when the instance last changed
    timer_at: dt.datetime | None = None
    overdue: bool = False
    message_name: str | None = None


@dataclass(frozen=True)
class Listing(Generic[T]):
    rows: list[T]
    total: int

    @property
    def capped(self) -> bool:
        return self.total > len(self.rows)


def _subject_columns() -> list[Any]:
    return [ProcessInstance.id, ProcessInstance.process_key, Dossier.id, Dossier.number, Dossier.type,
            ProcessInstance.subject_type, ProcessInstance.subject_id]


def _with_subject(query: Select[Any], scope: Scope) -> Select[Any]:
    """Join the instance's dossier (outer, or inner when the scope names a dossier dimension)."""
    on = Dossier.process_instance_id == ProcessInstance.id
    conditions: list[ColumnElement[bool]] = []
    if scope.dossier_type:
        conditions.append(Dossier.type == scope.dossier_type)
    if scope.subtype_id is not None:
        conditions.append(Dossier.subtype_id == scope.subtype_id)
    if scope.project:
        conditions.append(Dossier.main_project == scope.project)
    if conditions:
        return query.join(Dossier, on).where(*conditions)
    return query.outerjoin(Dossier, on)


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def _open_incidents(scope: Scope) -> Select[Any]:
    query = (select(Incident.id).select_from(Incident)
             .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
             .outerjoin(ServiceCall, ServiceCall.id == Incident.service_call_id)
             .where(Incident.status != IncidentStatus.RESOLVED))
    return _with_subject(query, scope)


def incidents_by_operator(session: Session, scope: Scope) -> list[OperatorGroup]:
    """Open incidents per operator: how many, and since when the oldest waits; most first."""
    operator = operator_expression()
    query = _open_incidents(scope).with_only_columns(operator, func.count(), func.min(Incident.created_at))
    rows = session.execute(query.group_by(operator)).all()
    groups = [OperatorGroup(str(op), int(n), oldest) for op, n, oldest in rows]
    return sorted(groups, key=lambda g: (-g.count, g.oldest))


def open_incidents(session: Session, scope: Scope, *, operator: str | None = None,
                   cap: int = LIST_CAP) -> Listing[IncidentRow]:
    """Open incidents, oldest first (the ones waiting longest), optionally of one operator."""
    query = _open_incidents(scope)
    if operator:
        query = query.where(operator_expression() == operator)
    total = _count(session, query)
    rows = session.execute(query.with_only_columns(
        Incident.id, operator_expression(), Incident.kind, Incident.status, Incident.error, Incident.bpmn_id,
        Incident.retries, Incident.created_at, *_subject_columns())
        .order_by(Incident.created_at, Incident.id).limit(cap))
    return Listing([IncidentRow(*row[:8], Subject(*row[8:])) for row in rows], total)


def _instances(scope: Scope) -> Select[Any]:
    return _with_subject(select(ProcessInstance.id).select_from(ProcessInstance), scope)


def waiting_on_timers(session: Session, scope: Scope, *, now: dt.datetime | None = None,
                      cap: int = LIST_CAP) -> Listing[WaitingRow]:
    """Running instances with a timer, soonest first; a timer already due is flagged ``overdue``
    (the beat job should have fired it: a worker may be down)."""
    now = now or utcnow()
    query = _instances(scope).where(ProcessInstance.next_timer_at.is_not(None),
                                    ProcessInstance.status.not_in(ENDED))
    total = _count(session, query)
    rows = session.execute(query.with_only_columns(
        *_subject_columns(), ProcessInstance.status, ProcessInstance.updated_at, ProcessInstance.next_timer_at)
        .order_by(ProcessInstance.next_timer_at, ProcessInstance.id).limit(cap))
    return Listing([WaitingRow(Subject(*row[:7]), row[7], row[8], timer_at=row[9], overdue=row[9] < now)
                    for row in rows], total)


def waiting_on_messages(session: Session, scope: Scope, *, cap: int = LIST_CAP) -> Listing[WaitingRow]:
    """One row per message an instance waits for, the longest-waiting instances first."""
    query = (_instances(scope).join(MessageWait, MessageWait.instance_id == ProcessInstance.id)
             .where(ProcessInstance.status.not_in(ENDED)))
    total = _count(session, query)
    rows = session.execute(query.with_only_columns(
        *_subject_columns(), ProcessInstance.status, ProcessInstance.updated_at, MessageWait.message_name)
        .order_by(ProcessInstance.updated_at, ProcessInstance.id, MessageWait.message_name).limit(cap))
    return Listing([WaitingRow(Subject(*row[:7]), row[7], row[8], message_name=row[9]) for row in rows], total)


def suspended_instances(session: Session, scope: Scope, *, cap: int = LIST_CAP) -> Listing[WaitingRow]:
    """Suspended instances, suspended longest first."""
    query = _instances(scope).where(ProcessInstance.status == InstanceStatus.SUSPENDED)
    total = _count(session, query)
    rows = session.execute(query.with_only_columns(
        *_subject_columns(), ProcessInstance.status, ProcessInstance.updated_at)
        .order_by(ProcessInstance.updated_at, ProcessInstance.id).limit(cap))
    return Listing([WaitingRow(Subject(*row[:7]), row[7], row[8]) for row in rows], total)
