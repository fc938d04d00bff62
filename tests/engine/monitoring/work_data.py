"""Builders of hand-made rows for the flow, workload and incident figures: exact dates and states,
written straight to the tables (no diagram runs), so each test knows its answers."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from engine.access.models import User
from engine.cases.models import Dossier
from engine.workflow.models import HumanTask, ProcessInstance, ProcessVersion

_numbers = itertools.count(1)


def at(text: str) -> dt.datetime:
    """``at("2026-03-02 09:00")`` -> an aware UTC datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def version(session: Session, key: str = "monitoring_check") -> ProcessVersion:
    row = ProcessVersion(key=key, version=next(_numbers), name=key, source_name=f"{key}.bpmn", bpmn_xml="<x/>",
                         checksum=f"{next(_numbers):064d}")
    session.add(row)
    session.flush()
    return row


def instance(session: Session, pv: ProcessVersion, *, status: str = "waiting", completed_at: dt.datetime | None = None,
             **fields: Any) -> ProcessInstance:
    row = ProcessInstance(process_version_id=pv.id, process_key=pv.key, status=status, state="{}",
                          completed_at=completed_at, **fields)
    session.add(row)
    session.flush()
    return row


def dossier(session: Session, pv: ProcessVersion, dossier_type: str, created_at: str, *,
            journey: Dossier | None = None, closed_at: str | None = None, status: str | None = None,
            **fields: Any) -> Dossier:
    """A dossier with its own instance; ``closed_at`` completes (or, with ``status``, ends) it."""
    completed = at(closed_at) if closed_at else None
    inst = instance(session, pv, status=status or ("completed" if completed else "waiting"), completed_at=completed,
                    subject_type="dossier")
    row = Dossier(number=f"T-{next(_numbers):05d}", type=dossier_type, title=dossier_type, created_at=at(created_at),
                  process_instance_id=inst.id, journey_id=journey.id if journey else None, **fields)
    session.add(row)
    session.flush()
    inst.subject_id = row.id
    return row


def user(session: Session, name: str) -> User:
    row = User(email=f"{name.lower()}.{next(_numbers)}@guichet.test", name=name, roles_text="case_worker")
    session.add(row)
    session.flush()
    return row


def task(session: Session, inst: ProcessInstance, queue: str, created_at: str, *, due_at: str | None = None,
         assignee: User | None = None, state: str = "ready", name: str = "Answer") -> HumanTask:
    row = HumanTask(instance_id=inst.id, task_guid=f"guid-{next(_numbers)}", process_key=inst.process_key,
                    bpmn_id="answer", name=name, queue=queue, state=state, created_at=at(created_at),
                    due_at=at(due_at) if due_at else None, assignee_id=assignee.id if assignee else None)
    session.add(row)
    session.flush()
    return row
