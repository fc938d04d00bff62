"""Reads of the instance pages: the list with its filters, the subject of an instance (a dossier
number), the instance's audit trail and the element names of a version. Each is one indexed query;
nothing here changes data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.cases.models import Dossier
from engine.workflow.history import elements
from engine.workflow.models import AuditEvent, InstanceStatus, ProcessInstance, ProcessVersion

LIST_LIMIT = 100
AUDIT_LIMIT = 50
STATUS_FILTERS = tuple(s.value for s in (
    InstanceStatus.RUNNING, InstanceStatus.WAITING, InstanceStatus.ERROR, InstanceStatus.SUSPENDED,
    InstanceStatus.COMPLETED, InstanceStatus.TERMINATED,
))
# audit details worth showing beside the event; never "data" (case data is not for every viewer)
AUDIT_DETAIL_KEYS = ("name", "task", "phase", "from", "to", "from_version", "to_version", "version",
                     "message", "operator", "reason", "note")


@dataclass(frozen=True)
class InstanceFilters:
    key: str | None = None
    version: int | None = None
    status: str | None = None


@dataclass(frozen=True)
class InstanceRow:
    instance: ProcessInstance
    version_number: int
    dossier: tuple[int, str] | None  # (id, number) when the subject is a dossier


@dataclass(frozen=True)
class AuditLine:
    at: dt.datetime
    kind: str
    actor: str | None
    detail: list[tuple[str, str]]


def instance_or_404(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        abort(404)
    return instance


def version_or_404(session: Session, version_id: int) -> ProcessVersion:
    version = session.get(ProcessVersion, version_id)
    if version is None:
        abort(404)
    return version


def process_keys(session: Session) -> list[str]:
    return list(session.scalars(select(ProcessVersion.key).distinct().order_by(ProcessVersion.key)))


def list_instances(session: Session, filters: InstanceFilters, limit: int = LIST_LIMIT) -> list[InstanceRow]:
    """The newest instances matching the filters (at most ``limit``)."""
    query = (
        select(ProcessInstance, ProcessVersion.version)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
        .limit(limit)
    )
    if filters.key:
        query = query.where(ProcessInstance.process_key == filters.key)
        if filters.version is not None:
            query = query.where(ProcessVersion.version == filters.version)
    if filters.status:
        query = query.where(ProcessInstance.status == filters.status)
    rows = session.execute(query).all()
    dossiers = dossier_numbers(session, (i.subject_id for i, _v in rows if i.subject_type == "dossier"))
    return [
        InstanceRow(instance, number, (instance.subject_id, dossiers[instance.subject_id])
                    if instance.subject_type == "dossier" and instance.subject_id in dossiers else None)
        for instance, number in rows
    ]


def dossier_numbers(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Dossier.id, Dossier.number).where(Dossier.id.in_(wanted)))
    return {dossier_id: number for dossier_id, number in rows}


def subject_dossier(session: Session, instance: ProcessInstance) -> tuple[int, str] | None:
    if instance.subject_type != "dossier" or instance.subject_id is None:
        return None
    numbers = dossier_numbers(session, [instance.subject_id])
    return (instance.subject_id, numbers[instance.subject_id]) if numbers else None


def audit_trail(session: Session, instance_id: int, limit: int = AUDIT_LIMIT) -> list[AuditLine]:
    """The instance's audit events, newest first, with who did it and the parts of the detail
    that say what happened (never the form data a task was completed with)."""
    rows = session.execute(
        select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.instance_id == instance_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    return [AuditLine(event.at, event.kind, name, _detail(event.detail)) for event, name in rows]


def _detail(detail: Any) -> list[tuple[str, str]]:
    if not isinstance(detail, dict):
        return []
    return [(key, _short(detail[key])) for key in AUDIT_DETAIL_KEYS if detail.get(key) not in (None, "")]


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


FLOW_NODE_KINDS = {"task", "subProcess", "callActivity", "transaction", "adHocSubProcess"}


def flow_nodes(version: ProcessVersion) -> list[tuple[str, str]]:
    """(bpmn id, name) of the diagram's tasks, events and gateways, by name: the elements a
    token can stand on, for choosing one without a mouse."""
    try:
        found = elements(version.bpmn_xml)
    except Exception:
        return []
    nodes = [
        (element_id, ref.name or element_id) for element_id, (ref, _print) in found.items()
        if ref.kind in FLOW_NODE_KINDS or ref.kind.endswith(("Task", "Event", "Gateway"))
    ]
    return sorted(nodes, key=lambda node: node[1].lower())


def element_names(version: ProcessVersion) -> dict[str, str]:
    """bpmn id -> the name drawn on the diagram (the id when the element has no name)."""
    try:
        found = elements(version.bpmn_xml)
    except Exception:  # an unreadable diagram still shows its figures, by id
        return {}
    return {element_id: ref.name or element_id for element_id, (ref, _print) in found.items()}
