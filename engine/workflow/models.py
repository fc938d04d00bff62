"""Tables of the workflow runtime.

The human-task table, not the serialized workflow, feeds task lists, queues and dashboards; the
audit table is append-only and read only when someone asks for history, so loading and saving an
instance costs the same whatever its age.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow


class InstanceStatus(enum.StrEnum):
    RUNNING = "running"  # has work the engine itself can do (should not persist long)
    WAITING = "waiting"  # waits for a person, a timer, a message or a service call
    COMPLETED = "completed"
    ERROR = "error"  # has an open incident
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class HumanTaskState(enum.StrEnum):
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ServiceCallStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class IncidentStatus(enum.StrEnum):
    OPEN = "open"
    RETRYING = "retrying"
    RESOLVED = "resolved"


class ProcessVersion(Base):
    """An immutable, deployed version of one diagram."""

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_process_versions_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    source_name: Mapped[str] = mapped_column(String(255))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    dmn_files: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deployed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # why the designer deployed this version (the designer's history shows it)
    comment: Mapped[str | None] = mapped_column(Text)


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (
        Index("ix_process_instances_subject", "subject_type", "subject_id"),
        Index("ix_process_instances_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default=InstanceStatus.RUNNING)
    phase: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(default=1)
    next_timer_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]

    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": lock_version}


class HumanTask(Base):
    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_state_assignee", "state", "assignee_id"),
        Index("ix_human_tasks_state_queue", "state", "queue"),
        # the queues' "available to take" lists: open, unassigned, most urgent first
        Index(
            "ix_human_tasks_available",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("state = 'ready' AND assignee_id IS NULL"),
            sqlite_where=text("state = 'ready' AND assignee_id IS NULL"),
        ),
        # "my tasks" and a colleague's tasks (webapp/tasks): one person's open tasks, most urgent first
        Index(
            "ix_human_tasks_assignee_open",
            "assignee_id",
            "due_at",
            "created_at",
            "id",
            postgresql_where=text("state = 'ready'"),
            sqlite_where=text("state = 'ready'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    process_key: Mapped[str] = mapped_column(String(255))
    bpmn_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(255))
    queue: Mapped[str | None] = mapped_column(String(255))
    form_key: Mapped[str | None] = mapped_column(String(255))
    phase: Mapped[str | None] = mapped_column(String(100))
    instructions: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=HumanTaskState.READY)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # when the person holding the task means to look at it again (set by hand, never by the diagram)
    follow_up_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    completed_at: Mapped[dt.datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    instance: Mapped[ProcessInstance] = relationship()


class ServiceCall(Base):
    """One execution of a service-task operator, run by a Celery worker.

    The row is written in the same transaction as the instance that waits for it, and the job is
    sent after commit; a periodic sweep re-sends calls whose message was lost."""

    __tablename__ = "service_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(255))
    operator: Mapped[str] = mapped_column(String(255))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result_variable: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=ServiceCallStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    max_retries: Mapped[int] = mapped_column(default=3)
    result: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    service_call_id: Mapped[int | None] = mapped_column(ForeignKey("service_calls.id"), index=True)
    task_guid: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))  # service | script | timer
    error: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    retries: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.OPEN, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(Text)


class MessageWait(Base):
    """An instance waiting for a named message: lets a message find its instances by index."""

    __tablename__ = "message_waits"
    __table_args__ = (UniqueConstraint("instance_id", "message_name", name="uq_message_waits_instance"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    message_name: Mapped[str] = mapped_column(String(255), index=True)


class AuditEvent(Base):
    """Append-only history of everything that changed an instance, and who did it."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(50))
    subject_id: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(50))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VisitOutcome(enum.StrEnum):
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # left without completing: a boundary event, a moved token, a termination


class ElementVisit(Base):
    """One token's stay at one element of a diagram: entered, left, how and by whom.

    Written by the engine at each save (one row per task that became active or completed), so
    the instance viewer's element history and the per-version heat map are queries on this table
    rather than a walk through thousands of serialized workflows. Engine tasks that run within
    one step (gateways, scripts) are entered and left at the same moment."""

    __tablename__ = "element_visits"
    __table_args__ = (
        # the heat map (engine/workflow/heat_rollup.py): the visits closed since the roll-up's
        # watermark, for the heat map's live part and for the roll-up job itself (a range on
        # left_at leads: both read the last few minutes of every version)
        Index(
            "ix_element_visits_closed",
            "left_at",
            "process_version_id",
            postgresql_where=text("left_at IS NOT NULL"),
            sqlite_where=text("left_at IS NOT NULL"),
        ),
        # the heat map: the open visits of one version, counted per element from the index alone
        Index(
            "ix_element_visits_waiting",
            "process_version_id",
            "bpmn_id",
            postgresql_where=text("left_at IS NULL"),
            sqlite_where=text("left_at IS NULL"),
        ),
        # the open visits of one instance, read at every save
        Index(
            "ix_element_visits_open",
            "instance_id",
            postgresql_where=text("left_at IS NULL"),
            sqlite_where=text("left_at IS NULL"),
        ),
        Index("ix_element_visits_instance_element", "instance_id", "bpmn_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    # the version the instance ran when the token was here (a migrated instance keeps its past)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    bpmn_id: Mapped[str] = mapped_column(String(255))
    task_guid: Mapped[str] = mapped_column(String(36))
    entered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    left_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))  # VisitOutcome; None while the token is here
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ElementVisitTotal(Base):
    """The closed visits of one element of one version, added up by the roll-up job
    (engine/workflow/heat_rollup.py) up to the ``element_visits`` watermark, so that the heat map
    does not aggregate every visit of a version at each request.

    A row exists once any visit of the element closed (a cancelled one too: the heat map shows
    such an element with nothing passed); ``seconds`` sums the durations of the completed ones."""

    __tablename__ = "element_visit_totals"

    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), primary_key=True)
    bpmn_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    passed: Mapped[int] = mapped_column(default=0)  # completed visits
    seconds: Mapped[float] = mapped_column(default=0.0)  # sum of entered -> left over the completed visits


class RollupWatermark(Base):
    """How far a roll-up has added its source rows: everything closed before ``upto`` is in the
    totals, nothing closed at or after it. One row per roll-up (``name``); its own tiny table so
    that the job locks this row, not a row others update."""

    __tablename__ = "rollup_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    upto: Mapped[dt.datetime | None]
