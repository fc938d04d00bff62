"""The workflow runtime: every command that changes an instance.

Each public method is one *command*: it runs inside the caller's transaction (``with
db.transaction() as session``), loads what it needs, acts, runs the engine until the instance
waits, saves the state, keeps the human-task rows, service calls, timers and message waits in
step, and writes audit events. When it returns without raising, committing is all that is left.

Optimistic locking: ``ProcessInstance.lock_version`` is SQLAlchemy's version counter. Two
commands that load the same instance and both save it cannot both succeed; the loser gets
:class:`StaleInstance` and nothing it did is kept.
"""

from __future__ import annotations

import datetime as dt
import functools
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from engine import calendar
from engine.db import utcnow
from engine.workflow import audit, visits
from engine.workflow.deploy import DeployResult, deploy
from engine.workflow.errors import (
    ConflictError,
    Forbidden,
    InvalidMessage,
    InvalidState,
    NotFound,
    StaleInstance,
    TaskAlreadyDone,
)
from engine.workflow.forms_protocol import FormValidator
from engine.workflow.models import (
    HumanTask,
    HumanTaskState,
    Incident,
    IncidentStatus,
    InstanceStatus,
    MessageWait,
    ProcessInstance,
    ProcessVersion,
    ServiceCall,
    ServiceCallStatus,
)
from engine.workflow.operators import OperatorRegistry
from engine.workflow.scripting import ScriptEngine
from engine.workflow.serialization import MESSAGE_WAITS_ATTR, dump_state, load_state, to_jsonable
from engine.workflow.specs import SERVICE_CALL_KEY, AsyncServiceTask, ParsedDiagram, parse_diagram, properties

HUMAN_TASK_MARK = "guichet_human_task"  # internal data on a manual task: "open" or "closed"
SERVICE_MARK = "guichet_service_call_queued"
ENDED = {InstanceStatus.COMPLETED, InstanceStatus.TERMINATED}
TIMER_EVENT_TYPES = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


@dataclass
class _Step:
    """What happened while the engine advanced an instance, for the save that follows."""

    phases: list[str] = field(default_factory=list)
    # tasks completed since the load, with who completed them (None: the engine); for visits
    completed_tasks: list[tuple[Any, int | None]] = field(default_factory=list)
    error: BaseException | None = None
    error_task: Any = None


STALE_MESSAGE = (
    "Someone else changed this case while you were working on it. Nothing of yours was saved; "
    "reload it and submit again (your input is kept on the form)."
)


def command(method: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a public command; turns a lost optimistic-lock race, wherever SQLAlchemy notices
    it (an autoflush included), into :class:`StaleInstance`."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except StaleDataError as exc:
            raise StaleInstance(STALE_MESSAGE) from exc

    return wrapper


def _parse_when(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    when = TimerEventDefinition.get_datetime(value) if isinstance(value, str) else value
    if isinstance(when, dt.datetime):
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return None


class WorkflowEngine:
    """Runs SpiffWorkflow instances against the database. One per process; thread-safe as long
    as each thread uses its own session."""

    def __init__(
        self,
        operators: OperatorRegistry | None = None,
        forms: FormValidator | None = None,
        *,
        spec_cache_size: int = 256,
    ) -> None:
        self.operators = operators or OperatorRegistry()
        self.forms = forms
        self.script_engine = ScriptEngine()
        # Called after commit with the ids of service calls to run (set by engine.jobs).
        self.dispatch_service_calls: Callable[[list[int]], None] | None = None
        # Called as (session, instance, phase) when an instance enters a phase, inside the same
        # transaction (engine.cases records the dossier's phase history this way).
        self.on_phase: list[Callable[[Session, ProcessInstance, str], None]] = []
        # dossier type -> its phases, so that every deployment checks the diagram's milestones
        # (engine.cases installs PHASE_FLOWS; the engine itself knows no dossier types)
        self.phase_flows: Mapping[str, Sequence[str]] | None = None
        # Called as (session, instance, human_task, cleaned_data) when a person completes a task,
        # inside the same transaction (engine.monitoring keeps the dossier facts reports read).
        self.on_task_completed: list[Callable[[Session, ProcessInstance, HumanTask, Mapping[str, Any]], None]] = []
        self._parse = lru_cache(maxsize=spec_cache_size)(self._parse_version)

    # ----------------------------------------------------------------- definitions

    @command
    def deploy(
        self,
        session: Session,
        bpmn_xml: str,
        source_name: str,
        *,
        dmn_files: dict[str, str] | None = None,
        user_id: int | None = None,
    ) -> DeployResult:
        return deploy(
            session,
            bpmn_xml,
            source_name,
            forms=self.forms,
            operators=self.operators,
            dmn_files=dmn_files,
            user_id=user_id,
            phase_flows=self.phase_flows,
        )

    @staticmethod
    def _parse_version(version_id: int, bpmn_xml: str, source_name: str, dmn_key: tuple) -> ParsedDiagram:
        return parse_diagram(bpmn_xml, source_name, dict(dmn_key), validate=False)

    def parsed(self, version: ProcessVersion) -> ParsedDiagram:
        return self._parse(
            version.id, version.bpmn_xml, version.source_name, tuple(sorted((version.dmn_files or {}).items()))
        )

    @staticmethod
    def latest_version(session: Session, key: str) -> ProcessVersion:
        version = session.scalar(
            select(ProcessVersion).where(ProcessVersion.key == key).order_by(ProcessVersion.version.desc()).limit(1)
        )
        if version is None:
            raise NotFound(f"No process {key!r} is deployed. Deploy bpmn/…/{key}.bpmn first.")
        return version

    # ----------------------------------------------------------------- load / save

    def load(self, instance: ProcessInstance) -> BpmnWorkflow:
        parsed = self.parsed(instance.process_version)
        wf = load_state(instance.state, parsed.spec, parsed.subprocess_specs)
        wf.script_engine = self.script_engine
        return wf

    def _advance(self, wf: BpmnWorkflow, step: _Step) -> None:
        """Run engine steps until the instance waits; a failing script or gateway is captured
        in ``step`` (and becomes an incident) instead of losing what was done before it."""

        def did_complete(task: Any) -> None:
            step.completed_tasks.append((task, None))
            phase = properties(task.task_spec).get("phase")
            if phase:
                step.phases.append(phase)

        try:
            wf.do_engine_steps(did_complete_task=did_complete)
        except (SpiffWorkflowException, WorkflowException, Exception) as exc:
            step.error = exc
            step.error_task = getattr(exc, "task", None)

    def _save(
        self, session: Session, instance: ProcessInstance, wf: BpmnWorkflow, step: _Step, actor_id: int | None
    ) -> None:
        with session.no_autoflush:
            new_calls = self._prepare_save(session, instance, wf, step, actor_id)
        session.flush()
        if new_calls:
            self._after_commit(session, [c.id for c in new_calls])

    def _prepare_save(
        self, session: Session, instance: ProcessInstance, wf: BpmnWorkflow, step: _Step, actor_id: int | None
    ) -> list[ServiceCall]:
        now = utcnow()
        for phase in step.phases:
            if phase != instance.phase:
                audit.record(session, instance, "phase_entered", actor_id, phase=phase, previous=instance.phase)
                instance.phase = phase
                for listener in self.on_phase:
                    listener(session, instance, phase)
        new_calls = self._queue_service_calls(session, instance, wf)
        self._sync_human_tasks(session, instance, wf, now)
        if step.error is not None:
            task = step.error_task
            session.add(
                Incident(
                    instance_id=instance.id,
                    task_guid=str(task.id) if task is not None else None,
                    bpmn_id=task.task_spec.bpmn_id if task is not None else None,
                    kind="script",
                    error=str(step.error),
                    traceback="".join(traceback.format_exception(step.error)),
                )
            )
            audit.record(
                session,
                instance,
                "incident",
                actor_id,
                error=str(step.error),
                task=task.task_spec.bpmn_id if task is not None else None,
            )
        self._sync_message_waits(session, instance, wf)
        visits.sync_visits(session, instance, wf, step.completed_tasks, now, new_instance=not instance.state)
        instance.state = dump_state(wf)
        instance.updated_at = now
        instance.next_timer_at = self._next_timer(wf)
        if instance.status not in (InstanceStatus.SUSPENDED, InstanceStatus.TERMINATED):
            instance.status = self._status(session, instance, wf, step)
        if instance.status == InstanceStatus.COMPLETED and instance.completed_at is None:
            instance.completed_at = now
            audit.record(session, instance, "instance_completed", actor_id)
        return new_calls

    def _status(self, session: Session, instance: ProcessInstance, wf: BpmnWorkflow, step: _Step) -> str:
        if wf.is_completed():
            return InstanceStatus.COMPLETED
        if step.error is not None or wf.get_tasks(state=TaskState.ERROR):
            return InstanceStatus.ERROR
        # an instance only has open incidents when it is already in error: skip the query otherwise
        if instance.status == InstanceStatus.ERROR and session.scalar(
            select(Incident.id)
            .where(Incident.instance_id == instance.id, Incident.status == IncidentStatus.OPEN)
            .limit(1)
        ):
            return InstanceStatus.ERROR
        return InstanceStatus.WAITING

    @staticmethod
    def _next_timer(wf: BpmnWorkflow) -> dt.datetime | None:
        times = [
            _parse_when(ev.value)
            for ev in wf.waiting_events()
            if ev.event_type in TIMER_EVENT_TYPES and ev.value is not None
        ]
        times = [t for t in times if t is not None]
        return min(times) if times else None

    @staticmethod
    def _sync_message_waits(session: Session, instance: ProcessInstance, wf: BpmnWorkflow) -> None:
        """Keep message_waits in step; the names already stored travel in the state, so a save
        with no change of waits costs no query."""
        wanted = {ev.name for ev in wf.waiting_events() if ev.event_type == "MessageEventDefinition"}
        existing = set(getattr(wf, MESSAGE_WAITS_ATTR, ()))
        if wanted - existing:
            session.add_all(MessageWait(instance_id=instance.id, message_name=n) for n in wanted - existing)
        if existing - wanted:
            session.execute(
                delete(MessageWait).where(
                    MessageWait.instance_id == instance.id, MessageWait.message_name.in_(existing - wanted)
                )
            )
        setattr(wf, MESSAGE_WAITS_ATTR, sorted(wanted))

    def _sync_human_tasks(
        self, session: Session, instance: ProcessInstance, wf: BpmnWorkflow, now: dt.datetime
    ) -> None:
        closed: list[str] = []
        for task in wf.get_tasks(manual=True):
            mark = task.internal_data.get(HUMAN_TASK_MARK)
            if task.state == TaskState.READY and mark is None:
                session.add(self._human_task_row(session, instance, task, now))
                task.internal_data[HUMAN_TASK_MARK] = "open"
            elif mark == "open" and task.state != TaskState.READY:
                closed.append(str(task.id))
                task.internal_data[HUMAN_TASK_MARK] = "closed"
        if closed:
            session.execute(
                update(HumanTask)
                .where(HumanTask.task_guid.in_(closed), HumanTask.state == HumanTaskState.READY)
                .values(state=HumanTaskState.CANCELLED, completed_at=now)
            )

    def _human_task_row(self, session: Session, instance: ProcessInstance, task: Any, now: dt.datetime) -> HumanTask:
        spec = task.task_spec
        props = properties(spec)
        due_at = None
        if props.get("dueInWorkingDays"):
            day = calendar.add_working_days(now.date(), int(props["dueInWorkingDays"]))
            due_at = dt.datetime.combine(day, dt.time(23, 59), tzinfo=dt.UTC)
        elif props.get("dueIn"):
            duration = TimerEventDefinition.parse_iso_duration(props["dueIn"])
            due_at = now + TimerEventDefinition.get_timedelta_from_start(duration, now)
        assignee_id = None
        if props.get("assignee"):
            assignee_id = self._resolve_assignee(session, task, props["assignee"])
        instructions = spec.extensions.get("instructionsForEndUser") if hasattr(spec, "extensions") else None
        return HumanTask(
            instance_id=instance.id,
            task_guid=str(task.id),
            process_key=instance.process_key,
            bpmn_id=spec.bpmn_id or spec.name,
            name=spec.bpmn_name or spec.bpmn_id or spec.name,
            lane=spec.lane,
            queue=props.get("queue") or spec.lane,
            form_key=props.get("formKey"),
            phase=instance.phase,
            instructions=instructions,
            assignee_id=assignee_id,
            claimed_at=now if assignee_id else None,
            due_at=due_at,
            created_at=now,
        )

    def _resolve_assignee(self, session: Session, task: Any, expression: str) -> int | None:
        from engine.access.models import User  # access is part of engine; avoids an import cycle

        try:
            value = self.script_engine.evaluate(task, expression)
        except Exception:
            return None
        if isinstance(value, int):
            return value if session.get(User, value) is not None else None
        if isinstance(value, str) and value:
            return session.scalar(select(User.id).where(User.email == value.strip().lower()))
        return None

    def _queue_service_calls(self, session: Session, instance: ProcessInstance, wf: BpmnWorkflow) -> list[ServiceCall]:
        calls = []
        for task in wf.get_tasks(state=TaskState.STARTED):
            spec = task.task_spec
            if not isinstance(spec, AsyncServiceTask) or task.internal_data.get(SERVICE_MARK):
                continue
            info = task.internal_data.get(SERVICE_CALL_KEY) or {}
            op = self.operators.get(spec.operation_name)
            call = ServiceCall(
                instance_id=instance.id,
                task_guid=str(task.id),
                bpmn_id=spec.bpmn_id,
                operator=spec.operation_name,
                params=to_jsonable(info.get("params", {})),
                result_variable=spec.result_variable,
                max_retries=op.max_retries,
            )
            session.add(call)
            task.internal_data[SERVICE_MARK] = True
            calls.append(call)
        return calls

    def _after_commit(self, session: Session, call_ids: list[int]) -> None:
        pending = session.info.setdefault("guichet_service_calls", [])
        pending.extend(call_ids)
        session.info["guichet_engine"] = self

    def _get_instance(self, session: Session, instance_id: int) -> ProcessInstance:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"Process instance {instance_id} does not exist.")
        return instance

    # ----------------------------------------------------------------- commands

    @command
    def start(
        self,
        session: Session,
        process_key: str,
        *,
        data: Mapping[str, Any] | None = None,
        subject: tuple[str, int] | None = None,
        user_id: int | None = None,
        version: ProcessVersion | None = None,
    ) -> ProcessInstance:
        version = version or self.latest_version(session, process_key)
        parsed = self.parsed(version)
        wf = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=self.script_engine)
        if data:
            for task in wf.get_tasks(state=TaskState.READY):
                task.data.update(data)
        instance = ProcessInstance(
            process_version=version,
            process_version_id=version.id,
            process_key=version.key,
            subject_type=subject[0] if subject else None,
            subject_id=subject[1] if subject else None,
            status=InstanceStatus.RUNNING,
            started_by_id=user_id,
            state="",
        )
        session.add(instance)
        session.flush()
        audit.record(session, instance, "instance_started", user_id, process=version.key, version=version.version)
        step = _Step()
        self._advance(wf, step)
        self._save(session, instance, wf, step, user_id)
        return instance

    @command
    def complete(
        self,
        session: Session,
        human_task_id: int,
        data: Mapping[str, Any],
        *,
        user_id: int | None,
        may_override_assignee: bool = False,
    ) -> ProcessInstance:
        """Validate ``data`` with the task's form, complete the task and advance the instance."""
        ht = session.get(HumanTask, human_task_id, options=[joinedload(HumanTask.instance)])
        if ht is None:
            raise NotFound(f"Task {human_task_id} does not exist.")
        self._check_open(session, ht)
        if ht.assignee_id is not None and ht.assignee_id != user_id and not may_override_assignee:
            raise Forbidden(f"'{ht.name}' is assigned to someone else; ask a dispatcher to reassign it.")
        instance = ht.instance
        self._check_runnable(instance)
        cleaned = self.forms.validate(ht.form_key, data) if (self.forms and ht.form_key) else dict(data)
        wf = self.load(instance)
        task = wf.get_task_from_id(UUID(ht.task_guid))
        if task is None or task.state != TaskState.READY:
            raise TaskAlreadyDone(f"'{ht.name}' is no longer open in this case; reload the case.")
        task.data.update(cleaned)
        step = _Step()
        try:
            task.run()
        except Exception as exc:
            step.error, step.error_task = exc, getattr(exc, "task", None) or task
        step.completed_tasks.append((task, user_id))
        task.internal_data[HUMAN_TASK_MARK] = "closed"
        now = utcnow()
        ht.state = HumanTaskState.COMPLETED
        ht.completed_at = now
        ht.completed_by_id = user_id
        if ht.assignee_id is None:
            ht.assignee_id = user_id
        audit.record(
            session,
            instance,
            "task_completed",
            user_id,
            task=ht.bpmn_id,
            name=ht.name,
            form_key=ht.form_key,
            data=to_jsonable(cleaned),
        )
        for listener in self.on_task_completed:
            listener(session, instance, ht, cleaned)
        if step.error is None:
            self._advance(wf, step)
        self._save(session, instance, wf, step, user_id)
        return instance

    def _check_open(self, session: Session, ht: HumanTask) -> None:
        if ht.state == HumanTaskState.READY:
            return
        from engine.access.models import User

        who = session.get(User, ht.completed_by_id) if ht.completed_by_id else None
        when = ht.completed_at.strftime("%d/%m/%Y %H:%M UTC") if ht.completed_at else "earlier"
        if ht.state == HumanTaskState.COMPLETED:
            by = f" by {who.name}" if who else ""
            raise TaskAlreadyDone(
                f"'{ht.name}' was already completed{by} at {when}. Your input was not saved; "
                "open the case to see what was recorded."
            )
        raise TaskAlreadyDone(f"'{ht.name}' was cancelled at {when} (the case moved on without it).")

    @staticmethod
    def _check_runnable(instance: ProcessInstance) -> None:
        if instance.status == InstanceStatus.SUSPENDED:
            raise InvalidState("This case is suspended; a manager must resume it first.")
        if instance.status in ENDED:
            raise InvalidState(f"This case is {instance.status}; nothing more can be done on it.")

    @command
    def claim(self, session: Session, human_task_id: int, *, user_id: int) -> HumanTask:
        ht = session.get(HumanTask, human_task_id, options=[joinedload(HumanTask.instance)])
        if ht is None:
            raise NotFound(f"Task {human_task_id} does not exist.")
        self._check_open(session, ht)
        if ht.assignee_id == user_id:
            return ht
        now = utcnow()
        result = session.execute(
            update(HumanTask)
            .where(HumanTask.id == ht.id, HumanTask.assignee_id.is_(None), HumanTask.state == HumanTaskState.READY)
            .values(assignee_id=user_id, claimed_at=now, claimed_by_id=user_id)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.refresh(ht)
            raise ConflictError(f"'{ht.name}' was just taken by someone else.")
        session.refresh(ht)
        audit.record(session, ht.instance, "task_claimed", user_id, task=ht.bpmn_id, name=ht.name, human_task=ht.id)
        return ht

    @command
    def unclaim(self, session: Session, human_task_id: int, *, user_id: int, force: bool = False) -> HumanTask:
        ht = session.get(HumanTask, human_task_id, options=[joinedload(HumanTask.instance)])
        if ht is None:
            raise NotFound(f"Task {human_task_id} does not exist.")
        self._check_open(session, ht)
        if ht.assignee_id is None:
            return ht
        if ht.assignee_id != user_id and not force:
            raise Forbidden("Only the person who holds this task, or a dispatcher, can release it.")
        previous = ht.assignee_id
        ht.assignee_id = None
        ht.claimed_at = None
        ht.claimed_by_id = None
        audit.record(
            session,
            ht.instance,
            "task_released",
            user_id,
            task=ht.bpmn_id,
            name=ht.name,
            human_task=ht.id,
            previous_assignee=previous,
        )
        return ht

    @command
    def assign(self, session: Session, human_task_id: int, *, assignee_id: int | None, by_user_id: int) -> HumanTask:
        ht = session.get(HumanTask, human_task_id, options=[joinedload(HumanTask.instance)])
        if ht is None:
            raise NotFound(f"Task {human_task_id} does not exist.")
        self._check_open(session, ht)
        previous = ht.assignee_id
        ht.assignee_id = assignee_id
        ht.claimed_at = utcnow() if assignee_id else None
        ht.claimed_by_id = by_user_id if assignee_id else None
        audit.record(
            session,
            ht.instance,
            "task_assigned",
            by_user_id,
            task=ht.bpmn_id,
            name=ht.name,
            human_task=ht.id,
            previous_assignee=previous,
            assignee=assignee_id,
        )
        return ht

    @command
    def set_task_dates(
        self,
        session: Session,
        human_task_id: int,
        *,
        due_at: dt.datetime | None,
        follow_up_at: dt.datetime | None,
        user_id: int,
    ) -> HumanTask:
        """Set (or clear, with None) an open task's due date and follow-up date.

        The instance's ``updated_at`` is touched so that its ``lock_version`` moves: a completion
        saved meanwhile by someone else makes this command fail with :class:`StaleInstance`
        (or :class:`TaskAlreadyDone` once committed) instead of dating a closed task."""
        ht = session.get(HumanTask, human_task_id, options=[joinedload(HumanTask.instance)])
        if ht is None:
            raise NotFound(f"Task {human_task_id} does not exist.")
        self._check_open(session, ht)
        previous = {"due_at": ht.due_at, "follow_up_at": ht.follow_up_at}
        if previous == {"due_at": due_at, "follow_up_at": follow_up_at}:
            return ht
        ht.due_at = due_at
        ht.follow_up_at = follow_up_at
        ht.instance.updated_at = utcnow()
        audit.record(
            session,
            ht.instance,
            "task_dates_set",
            user_id,
            task=ht.bpmn_id,
            name=ht.name,
            human_task=ht.id,
            previous=to_jsonable(previous),
            due_at=to_jsonable(due_at),
            follow_up_at=to_jsonable(follow_up_at),
        )
        self._flush(session)
        return ht

    @command
    def suspend(
        self, session: Session, instance_id: int, *, user_id: int | None, reason: str = ""
    ) -> ProcessInstance:
        instance = self._get_instance(session, instance_id)
        self._check_runnable(instance)
        instance.status = InstanceStatus.SUSPENDED
        instance.updated_at = utcnow()
        audit.record(session, instance, "instance_suspended", user_id, reason=reason.strip())
        self._flush(session)
        return instance

    @command
    def resume(
        self, session: Session, instance_id: int, *, user_id: int | None, reason: str = ""
    ) -> ProcessInstance:
        instance = self._get_instance(session, instance_id)
        if instance.status != InstanceStatus.SUSPENDED:
            raise InvalidState(f"Only a suspended case can be resumed; this one is {instance.status}.")
        wf = self.load(instance)
        instance.status = InstanceStatus.WAITING
        audit.record(session, instance, "instance_resumed", user_id, reason=reason.strip())
        step = _Step()
        self._advance(wf, step)  # timers that fell due while suspended fire now
        self._save(session, instance, wf, step, user_id)
        return instance

    @command
    def terminate(
        self, session: Session, instance_id: int, *, user_id: int | None, reason: str = ""
    ) -> ProcessInstance:
        instance = self._get_instance(session, instance_id)
        if instance.status in ENDED:
            raise InvalidState(f"This case is already {instance.status}.")
        now = utcnow()
        instance.status = InstanceStatus.TERMINATED
        instance.completed_at = now
        instance.updated_at = now
        instance.next_timer_at = None
        session.execute(
            update(HumanTask)
            .where(HumanTask.instance_id == instance.id, HumanTask.state == HumanTaskState.READY)
            .values(state=HumanTaskState.CANCELLED, completed_at=now)
        )
        session.execute(
            update(ServiceCall)
            .where(
                ServiceCall.instance_id == instance.id,
                ServiceCall.status.in_([ServiceCallStatus.PENDING, ServiceCallStatus.RUNNING]),
            )
            .values(status=ServiceCallStatus.CANCELLED, updated_at=now)
        )
        session.execute(delete(MessageWait).where(MessageWait.instance_id == instance.id))
        visits.close_all(session, instance.id, now)
        audit.record(session, instance, "instance_terminated", user_id, reason=reason)
        self._flush(session)
        return instance

    @staticmethod
    def _flush(session: Session) -> None:
        session.flush()

    # ----------------------------------------------------------------- timers

    @staticmethod
    def due_timer_instances(session: Session, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
        """Ids of instances with a timer due, found through the ``next_timer_at`` index."""
        now = now or utcnow()
        return list(
            session.scalars(
                select(ProcessInstance.id)
                .where(ProcessInstance.next_timer_at <= now, ProcessInstance.status == InstanceStatus.WAITING)
                .order_by(ProcessInstance.next_timer_at)
                .limit(limit)
            )
        )

    @command
    def fire_timers(self, session: Session, instance_id: int, now: dt.datetime | None = None) -> bool:
        """Fire the due timers of one instance. Idempotent: a second call finds nothing due."""
        now = now or utcnow()
        instance = self._get_instance(session, instance_id)
        if instance.status != InstanceStatus.WAITING or instance.next_timer_at is None or instance.next_timer_at > now:
            return False
        wf = self.load(instance)
        wf.refresh_timers()
        step = _Step()
        self._advance(wf, step)
        audit.record(session, instance, "timer_fired", None, due=instance.next_timer_at.isoformat())
        self._save(session, instance, wf, step, None)
        return True

    # ----------------------------------------------------------------- messages

    @command
    def correlate_message(
        self,
        session: Session,
        name: str,
        payload: Any = None,
        *,
        correlations: dict[str, Any] | None = None,
        instance_id: int | None = None,
        subject: tuple[str, int] | None = None,
        user_id: int | None = None,
    ) -> list[int]:
        """Deliver a message to every instance waiting for it whose correlation matches."""
        query = select(MessageWait.instance_id).where(MessageWait.message_name == name)
        if instance_id is not None:
            query = query.where(MessageWait.instance_id == instance_id)
        if subject is not None:
            query = query.join(ProcessInstance, ProcessInstance.id == MessageWait.instance_id).where(
                ProcessInstance.subject_type == subject[0], ProcessInstance.subject_id == subject[1]
            )
        delivered = []
        for iid in session.scalars(query.order_by(MessageWait.instance_id)).all():
            instance = self._get_instance(session, iid)
            if instance.status != InstanceStatus.WAITING:
                continue
            wf = self.load(instance)
            event = BpmnEvent(MessageEventDefinition(name), payload=payload, correlations=correlations or {})
            try:
                wf.send_event(event)
            except WorkflowException:
                continue  # waiting for this message, but for another correlation
            except (NameError, TypeError, KeyError, AttributeError, ValueError) as exc:
                raise InvalidMessage(
                    f"The payload of {name!r} cannot be read by the waiting case: {exc}. "
                    "Send an object that carries every correlation property."
                ) from exc
            for key, expected in (correlations or {}).items():
                found = wf.correlations.get(key)
                if found is not None and found != expected:
                    raise InvalidMessage(
                        f"The payload of {name!r} says {key}={found}, but it was sent for {key}={expected}; "
                        "nothing was delivered."
                    )
            audit.record(session, instance, "message_received", user_id, message=name)
            step = _Step()
            self._advance(wf, step)
            self._save(session, instance, wf, step, user_id)
            delivered.append(iid)
        if not delivered:
            raise NotFound(
                f"No case is waiting for the message {name!r}" + (f" with {correlations}" if correlations else "") + "."
            )
        return delivered

    # ----------------------------------------------------------------- service calls

    @command
    def start_service_call(self, session: Session, call_id: int) -> ServiceCall | None:
        """Mark a call running before its operator is executed; None when there is nothing to do
        (done, cancelled, or the instance moved on), which makes redelivered jobs harmless."""
        call = session.get(ServiceCall, call_id)
        if call is None or call.status not in (ServiceCallStatus.PENDING, ServiceCallStatus.RUNNING):
            return None
        call.status = ServiceCallStatus.RUNNING
        call.attempts += 1
        call.updated_at = utcnow()
        return call

    @command
    def finish_service_call(self, session: Session, call_id: int, result: Any) -> bool:
        call = session.get(ServiceCall, call_id)
        if call is None or call.status not in (ServiceCallStatus.PENDING, ServiceCallStatus.RUNNING):
            return False
        instance = self._get_instance(session, call.instance_id)
        if instance.status in ENDED:
            call.status = ServiceCallStatus.CANCELLED
            return False
        wf = self.load(instance)
        task = wf.get_task_from_id(UUID(call.task_guid))
        if task is None or task.state != TaskState.STARTED:
            call.status = ServiceCallStatus.CANCELLED
            return False
        task.data[call.result_variable] = result
        task.complete()
        call.status = ServiceCallStatus.DONE
        call.result = {"value": to_jsonable(result)}
        had_failed = call.error is not None
        call.error = None
        call.updated_at = utcnow()
        if had_failed:  # only a call that failed before can have an incident to close
            session.execute(
                update(Incident)
                .where(Incident.service_call_id == call.id, Incident.status != IncidentStatus.RESOLVED)
                .values(status=IncidentStatus.RESOLVED, resolved_at=utcnow(), resolution="succeeded on retry")
            )
        audit.record(session, instance, "service_call_done", None, operator=call.operator, task=call.bpmn_id)
        step = _Step()
        self._advance(wf, step)
        if instance.status == InstanceStatus.ERROR:
            instance.status = InstanceStatus.WAITING
        self._save(session, instance, wf, step, None)
        return True

    @command
    def note_service_failure(
        self, session: Session, call_id: int, error: BaseException | str, tb: str | None = None, *, final: bool
    ) -> Incident | None:
        """Record a failed attempt; after the last retry it becomes an incident."""
        call = session.get(ServiceCall, call_id)
        if call is None:
            return None
        call.error = str(error)
        call.updated_at = utcnow()
        if not final:
            call.status = ServiceCallStatus.PENDING
            return None
        call.status = ServiceCallStatus.FAILED
        instance = self._get_instance(session, call.instance_id)
        incident = Incident(
            instance_id=instance.id,
            service_call_id=call.id,
            task_guid=call.task_guid,
            bpmn_id=call.bpmn_id,
            kind="service",
            error=f"{call.operator}: {error}",
            traceback=tb,
            retries=call.attempts,
        )
        session.add(incident)
        if instance.status not in ENDED | {InstanceStatus.SUSPENDED}:
            instance.status = InstanceStatus.ERROR
        instance.updated_at = utcnow()
        audit.record(
            session, instance, "incident", None, operator=call.operator, error=str(error), attempts=call.attempts
        )
        self._flush(session)
        return incident

    def pending_service_calls(self, session: Session, older_than: dt.timedelta) -> list[int]:
        """Calls whose job may have been lost (sent before a crash, or never sent)."""
        cutoff = utcnow() - older_than
        return list(
            session.scalars(
                select(ServiceCall.id)
                .where(
                    ServiceCall.status.in_([ServiceCallStatus.PENDING, ServiceCallStatus.RUNNING]),
                    ServiceCall.updated_at < cutoff,
                )
                .order_by(ServiceCall.id)
                .limit(500)
            )
        )

    # ----------------------------------------------------------------- incidents

    @command
    def retry_incident(
        self, session: Session, incident_id: int, *, user_id: int | None, reason: str = ""
    ) -> Incident:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"Incident {incident_id} does not exist.")
        if incident.status == IncidentStatus.RESOLVED:
            raise InvalidState("This incident is already resolved.")
        instance = self._get_instance(session, incident.instance_id)
        audit.record(session, instance, "incident_retried", user_id, incident=incident.id, reason=reason.strip())
        if incident.kind == "service" and incident.service_call_id:
            call = session.get(ServiceCall, incident.service_call_id)
            assert call is not None
            call.status = ServiceCallStatus.PENDING
            call.attempts = 0
            call.updated_at = utcnow()
            incident.status = IncidentStatus.RETRYING
            if instance.status == InstanceStatus.ERROR:
                instance.status = InstanceStatus.WAITING
            self._flush(session)
            self._after_commit(session, [call.id])
            return incident
        # a script or gateway error: run the failed task again
        incident.status = IncidentStatus.RESOLVED
        incident.resolved_at = utcnow()
        incident.resolved_by_id = user_id
        incident.resolution = "retried"
        wf = self.load(instance)
        step = _Step()
        for task in wf.get_tasks(state=TaskState.ERROR):
            try:
                task.run()
            except Exception as exc:
                step.error, step.error_task = exc, task
                break
        if step.error is None:
            self._advance(wf, step)
        instance.status = InstanceStatus.WAITING
        self._save(session, instance, wf, step, user_id)
        return incident

    @command
    def resolve_incident(
        self, session: Session, incident_id: int, *, user_id: int | None, note: str, result: Any = None
    ) -> Incident:
        """Close an incident by hand; for a service task, ``result`` lets the case go on as if
        the operator had returned it."""
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"Incident {incident_id} does not exist.")
        if incident.status == IncidentStatus.RESOLVED:
            raise InvalidState("This incident is already resolved.")
        incident.status = IncidentStatus.RESOLVED
        incident.resolved_at = utcnow()
        incident.resolved_by_id = user_id
        incident.resolution = note
        instance = self._get_instance(session, incident.instance_id)
        audit.record(session, instance, "incident_resolved", user_id, incident=incident.id, note=note)
        if result is not None and incident.service_call_id:
            call = session.get(ServiceCall, incident.service_call_id)
            assert call is not None
            call.status = ServiceCallStatus.RUNNING
            self.finish_service_call(session, call.id, result)
        else:
            self._flush(session)
        return incident

    # ----------------------------------------------------------------- reading

    def task_data(self, instance: ProcessInstance) -> dict[str, Any]:
        """The data of the most recently completed task (what the case knows now)."""
        wf = self.load(instance)
        if wf.is_completed():
            return to_jsonable(dict(wf.data))
        tasks = [t for t in wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)]
        source = tasks[0].data if tasks else wf.last_task.data if wf.last_task else {}
        return to_jsonable(dict(source))

    def ready_tasks_of(self, session: Session, instance_ids: Iterable[int]) -> list[HumanTask]:
        return list(
            session.scalars(
                select(HumanTask)
                .where(HumanTask.instance_id.in_(list(instance_ids)), HumanTask.state == HumanTaskState.READY)
                .order_by(HumanTask.id)
            )
        )


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    """Send service-call jobs only once the rows they refer to are committed."""
    ids = session.info.pop("guichet_service_calls", None)
    engine = session.info.pop("guichet_engine", None)
    if ids and engine is not None and engine.dispatch_service_calls is not None:
        engine.dispatch_service_calls(ids)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("guichet_service_calls", None)
    session.info.pop("guichet_engine", None)
