"""A designer's repairs on running cases: moving a token (forward, back, out of a failed step,
on a suspended case) and moving cases to a newer version of their diagram, with the refusals
that leave everything as it was."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.access.models import Role
from engine.workflow.errors import InvalidState, MigrationRefused, NotFound, StaleInstance
from engine.workflow.interventions import (
    migrate_instance,
    migrate_version,
    migration_problems,
    move_targets,
    move_token,
)
from engine.workflow.models import (
    AuditEvent,
    ElementVisit,
    HumanTask,
    HumanTaskState,
    Incident,
    IncidentStatus,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
    VisitOutcome,
)
from engine.workflow.runtime import WorkflowEngine
from tests.webapp.support import create_user

from .support import flow, process, user_task

MOVE = "intervention_move"
DIAGRAMS = Path(__file__).parent.parent / "diagrams"


# ----------------------------------------------------------------------------- helpers


def _open_task(db, instance_id: int, bpmn_id: str) -> HumanTask:
    with db.transaction() as s:
        row = s.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id,
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.state == HumanTaskState.READY,
            )
        ).one()
        s.expunge(row)
        return row


def _open_bpmn_ids(db, instance_id: int) -> list[str]:
    with db.transaction() as s:
        return sorted(
            s.scalars(
                select(HumanTask.bpmn_id).where(
                    HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.READY
                )
            )
        )


def _complete(db, engine: WorkflowEngine, instance_id: int, bpmn_id: str, data: dict[str, Any], user_id=None):
    ht = _open_task(db, instance_id, bpmn_id)
    with db.transaction() as s:
        engine.complete(s, ht.id, data, user_id=user_id, may_override_assignee=True)


def _snapshot(db, instance_id: int) -> tuple:
    """Everything a refused intervention must leave as it was."""
    with db.transaction() as s:
        inst = s.get(ProcessInstance, instance_id)
        rows = sorted((h.task_guid, h.state, h.assignee_id) for h in s.scalars(select(HumanTask)))
        events = s.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)).all()
        return inst.state, inst.lock_version, inst.process_version_id, inst.status, rows, events


def _events(db, instance_id: int, kind: str) -> list[dict]:
    with db.transaction() as s:
        return [
            e.detail
            for e in s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id, AuditEvent.kind == kind)
                                .order_by(AuditEvent.id))
        ]


def _start(db, engine, key: str = MOVE, data: dict | None = None) -> int:
    with db.transaction() as s:
        return engine.start(s, key, data=data).id


def _status(db, instance_id: int) -> str:
    with db.transaction() as s:
        return s.get(ProcessInstance, instance_id).status


# ----------------------------------------------------------------------------- move a token


def test_targets_are_the_activities_and_catch_events_of_the_scope(db, engine, deploy):
    deploy(f"{MOVE}.bpmn")
    iid = _start(db, engine)
    enter = _open_task(db, iid, "enter")
    with db.transaction() as s:
        targets = move_targets(s, engine, iid, enter.task_guid)
    assert targets == [
        ("archive", "Archive"),
        ("simple", "Auto approve"),
        ("check", "Check the file"),
        ("cooling", "Cooling-off period"),
        ("escalate", "Escalated check"),
        ("expert", "Expert review"),
    ]


def test_forward_move_cancels_the_task_and_the_case_goes_on_to_the_end(db, engine, deploy):
    deploy(f"{MOVE}.bpmn")
    designer = create_user(db, Role.PROCESS_DESIGNER)
    iid = _start(db, engine, data={"citizen": "Dupont"})
    enter = _open_task(db, iid, "enter")
    with db.transaction() as s:
        move_token(
            s,
            engine,
            iid,
            task_guid=enter.task_guid,
            to_bpmn_id="check",
            user_id=designer.id,
            reason="  amount known from the phone call  ",
        )
    assert _open_bpmn_ids(db, iid) == ["check"]
    with db.transaction() as s:
        assert s.get(HumanTask, enter.id).state == HumanTaskState.CANCELLED
        inst = s.get(ProcessInstance, iid)
        assert inst.next_timer_at is not None  # the boundary timer of 'check' is armed
        assert engine.task_data(inst)["citizen"] == "Dupont"  # the token carried its data
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "token_moved")).one()
        assert event.actor_id == designer.id
        assert (event.detail["from"], event.detail["to"], event.detail["reason"]) == (
            "enter",
            "check",
            "amount known from the phone call",
        )
        # the move went through the engine's save: the element visits say where the token went
        visits = {v.bpmn_id: v.outcome for v in s.scalars(select(ElementVisit).where(ElementVisit.instance_id == iid))}
        assert visits == {"start": "completed", "enter": VisitOutcome.CANCELLED, "check": None, "sla": None}
    _complete(db, engine, iid, "check", {"note": "ok"})
    # now the token waits at the intermediate timer: move it on to 'archive'
    with db.transaction() as s:
        wf = engine.load(s.get(ProcessInstance, iid))
        cooling = next(t for t in wf.get_tasks() if t.task_spec.name == "cooling" and t.state == 8)
        move_token(
            s,
            engine,
            iid,
            task_guid=str(cooling.id),
            to_bpmn_id="archive",
            user_id=None,
            reason="cooling-off waived by the citizen",
        )
    with db.transaction() as s:
        assert s.get(ProcessInstance, iid).next_timer_at is None
    _complete(db, engine, iid, "archive", {"note": "done"})
    assert _status(db, iid) == InstanceStatus.COMPLETED


def test_move_onto_a_catch_event_makes_it_wait(db, engine, deploy):
    deploy(f"{MOVE}.bpmn")
    iid = _start(db, engine)
    enter = _open_task(db, iid, "enter")
    with db.transaction() as s:
        move_token(
            s,
            engine,
            iid,
            task_guid=enter.task_guid,
            to_bpmn_id="cooling",
            user_id=None,
            reason="skip to the cooling-off",
        )
    assert _open_bpmn_ids(db, iid) == []
    with db.transaction() as s:
        inst = s.get(ProcessInstance, iid)
        assert inst.status == InstanceStatus.WAITING
        assert inst.next_timer_at is not None


def test_backward_move_reopens_the_same_task_row_and_runs_again(db, engine, deploy):
    deploy(f"{MOVE}.bpmn")
    clerk = create_user(db, Role.CASE_WORKER)
    iid = _start(db, engine)
    _complete(db, engine, iid, "enter", {"amount": 5000}, user_id=clerk.id)
    _complete(db, engine, iid, "expert", {"approved": True}, user_id=clerk.id)
    check = _open_task(db, iid, "check")
    with db.transaction() as s:
        enter_row = s.scalars(select(HumanTask).where(HumanTask.bpmn_id == "enter")).one()
        enter_id, enter_guid = enter_row.id, enter_row.task_guid
        assert enter_row.completed_by_id == clerk.id
    with db.transaction() as s:
        move_token(
            s, engine, iid, task_guid=check.task_guid, to_bpmn_id="enter", user_id=None, reason="wrong amount entered"
        )
    with db.transaction() as s:
        rows = s.scalars(select(HumanTask).where(HumanTask.bpmn_id == "enter")).all()
        assert len(rows) == 1  # reopened, not duplicated
        row = rows[0]
        assert (row.id, row.task_guid, row.state) == (enter_id, enter_guid, HumanTaskState.READY)
        assert (row.assignee_id, row.completed_at, row.completed_by_id) == (None, None, None)
        assert s.get(HumanTask, check.id).state == HumanTaskState.CANCELLED
        assert _events(db, iid, "token_moved")[0]["how"] == "back"
    assert _open_bpmn_ids(db, iid) == ["enter"]
    _complete(db, engine, iid, "enter", {"amount": 10})  # now the small path: the script approves
    _complete(db, engine, iid, "check", {"note": "ok"})
    with db.transaction() as s:
        inst = s.get(ProcessInstance, iid)
        assert engine.task_data(inst)["approved"] is True
        assert inst.next_timer_at is not None  # waiting in the cooling-off period


def test_refusals_say_why_and_change_nothing(db, engine, deploy):
    deploy(f"{MOVE}.bpmn")
    iid = _start(db, engine)
    enter = _open_task(db, iid, "enter")
    before = _snapshot(db, iid)
    cases = [
        ({"to_bpmn_id": "gw", "reason": "x"}, "'Big amount?' (gw) is an exclusive gateway"),
        ({"to_bpmn_id": "sla", "reason": "x"}, "'SLA breached' (sla) is an interrupting timer boundary event"),
        ({"to_bpmn_id": "nowhere", "reason": "x"}, "There is no element 'nowhere'"),
        ({"to_bpmn_id": "enter", "reason": "x"}, "The token is already at 'Enter amount' (enter)"),
        ({"to_bpmn_id": "check", "reason": "   "}, "Give a reason"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InvalidState, match=re.escape(message)), db.transaction() as s:
            move_token(s, engine, iid, task_guid=enter.task_guid, user_id=None, **kwargs)
    with pytest.raises(NotFound, match="no longer in the case"), db.transaction() as s:
        move_token(
            s,
            engine,
            iid,
            task_guid="00000000-0000-0000-0000-000000000000",
            to_bpmn_id="check",
            user_id=None,
            reason="x",
        )
    assert _snapshot(db, iid) == before
    with db.transaction() as s:
        engine.terminate(s, iid, user_id=None, reason="test")
    with pytest.raises(InvalidState, match="terminated"), db.transaction() as s:
        move_token(s, engine, iid, task_guid=enter.task_guid, to_bpmn_id="check", user_id=None, reason="x")


def test_a_suspended_case_is_moved_but_not_advanced_until_resumed(db, engine, deploy):
    deploy(f"{MOVE}.bpmn")
    iid = _start(db, engine)
    enter = _open_task(db, iid, "enter")
    with db.transaction() as s:
        engine.suspend(s, iid, user_id=None, reason="fixing the amount path")
    with db.transaction() as s:
        move_token(
            s,
            engine,
            iid,
            task_guid=enter.task_guid,
            to_bpmn_id="simple",
            user_id=None,
            reason="small amount, approve automatically",
        )
    with db.transaction() as s:
        inst = s.get(ProcessInstance, iid)
        assert inst.status == InstanceStatus.SUSPENDED
        wf = engine.load(inst)
        simple = [t for t in wf.get_tasks() if t.task_spec.name == "simple"]
        assert [t.state for t in simple] == [16]  # READY, the script did not run
        assert "approved" not in engine.task_data(inst)
    assert _open_bpmn_ids(db, iid) == []
    with db.transaction() as s:
        engine.resume(s, iid, user_id=None, reason="fixed")
    assert _open_bpmn_ids(db, iid) == ["check"]
    assert _events(db, iid, "instance_suspended")[0]["reason"] == "fixing the amount path"
    assert _events(db, iid, "instance_resumed")[0]["reason"] == "fixed"


def test_moving_off_a_failed_service_task_cancels_its_call_and_closes_the_incident(db, engine, deploy, lookup):
    lookup.failures_left = 3  # more than max_retries: an incident
    deploy("service.bpmn")
    iid = _start(db, engine, "lookup", data={"enterprise_number": "0202.239.951"})
    with db.transaction() as s:
        incident = s.scalars(select(Incident)).one()
        assert s.get(ProcessInstance, iid).status == InstanceStatus.ERROR
        guid = incident.task_guid
    with db.transaction() as s:
        assert move_targets(s, engine, iid, guid) == [("check", "Check the company")]
        move_token(s, engine, iid, task_guid=guid, to_bpmn_id="check", user_id=None, reason="company checked by hand")
    with db.transaction() as s:
        incident = s.scalars(select(Incident)).one()
        assert incident.status == IncidentStatus.RESOLVED
        assert incident.resolution == "token moved to check"
        assert s.scalars(select(ServiceCall.status)).all() == [ServiceCallStatus.CANCELLED]
        assert s.get(ProcessInstance, iid).status == InstanceStatus.WAITING
    _complete(db, engine, iid, "check", {"note": "ok"})
    assert _status(db, iid) == InstanceStatus.COMPLETED


def test_moving_off_a_pending_service_call_cancels_it(db, engine, deploy, lookup):
    engine.dispatch_service_calls = None  # the worker never gets the job
    deploy("service.bpmn")
    iid = _start(db, engine, "lookup", data={"enterprise_number": "0202.239.951"})
    with db.transaction() as s:
        call = s.scalars(select(ServiceCall)).one()
        assert call.status == ServiceCallStatus.PENDING
        move_token(s, engine, iid, task_guid=call.task_guid, to_bpmn_id="check", user_id=None, reason="by hand")
    with db.transaction() as s:
        call = s.scalars(select(ServiceCall)).one()
        assert call.status == ServiceCallStatus.CANCELLED
        assert engine.finish_service_call(s, call.id, {"name": "late"}) is False  # a late answer changes nothing
    assert _open_bpmn_ids(db, iid) == ["check"]
    assert lookup.calls == []


# ----------------------------------------------------------------------------- migration

V1 = process(
    '<bpmn:startEvent id="s"/>'
    + flow("f1", "s", "a")
    + user_task("a")
    + flow("f2", "a", "b")
    + user_task("b")
    + flow("f3", "b", "e")
    + '<bpmn:endEvent id="e"/>'
)
# b renamed, a new task c after b
V2 = process(
    '<bpmn:startEvent id="s"/>'
    + flow("f1", "s", "a")
    + user_task("a")
    + flow("f2", "a", "b")
    + user_task("b").replace("Task b", "Check b")
    + flow("f3", "b", "c")
    + user_task("c")
    + flow("f4", "c", "e")
    + '<bpmn:endEvent id="e"/>'
)
# b is gone
V3_WITHOUT_B = process(
    '<bpmn:startEvent id="s"/>'
    + flow("f1", "s", "a")
    + user_task("a")
    + flow("f2", "a", "c")
    + user_task("c")
    + flow("f4", "c", "e")
    + '<bpmn:endEvent id="e"/>'
)
# a is gone (b stays)
V3_WITHOUT_A = process(
    '<bpmn:startEvent id="s"/>'
    + flow("f1", "s", "b")
    + user_task("b")
    + flow("f3", "b", "e")
    + '<bpmn:endEvent id="e"/>'
)
B_GONE = (
    "the user task 'Task b' (b) where this case waits does not exist in version 2 "
    "(it would become 'Task c' (c)); move the token first"
)
OTHER = process('<bpmn:startEvent id="s"/>' + flow("f1", "s", "e") + '<bpmn:endEvent id="e"/>', key="other")


def _deploy_xml(db, engine, xml: str, name: str = "p.bpmn") -> int:
    with db.transaction() as s:
        return engine.deploy(s, xml, name).version.id


def _at_b(db, engine, assignee_id: int | None = None) -> int:
    iid = _start(db, engine, "p")
    _complete(db, engine, iid, "a", {"note": "first"})
    if assignee_id is not None:
        ht = _open_task(db, iid, "b")
        with db.transaction() as s:
            engine.assign(s, ht.id, assignee_id=assignee_id, by_user_id=assignee_id)
    return iid


def test_migrated_case_keeps_its_task_row_and_runs_the_new_task_to_the_end(db, engine):
    clerk = create_user(db, Role.CASE_WORKER)
    v1 = _deploy_xml(db, engine, V1)
    iid = _at_b(db, engine, assignee_id=clerk.id)
    b_before = _open_task(db, iid, "b")
    v2 = _deploy_xml(db, engine, V2)
    with db.transaction() as s:
        assert migration_problems(s, engine, iid, v2) == []
        migrate_instance(s, engine, iid, target_version_id=v2, user_id=clerk.id, reason="  add the c check  ")
    with db.transaction() as s:
        inst = s.get(ProcessInstance, iid)
        assert inst.process_version_id == v2 and inst.process_key == "p"
        rows = s.scalars(select(HumanTask).where(HumanTask.bpmn_id == "b")).all()
        assert [(r.id, r.task_guid, r.state, r.assignee_id, r.name) for r in rows] == [
            (b_before.id, b_before.task_guid, HumanTaskState.READY, clerk.id, "Check b")
        ]
    event = _events(db, iid, "instance_migrated")[0]
    assert event == {"from_version": 1, "to_version": 2, "reason": "add the c check"}
    # a fresh engine (empty spec cache) loads the migrated state from the database
    fresh = WorkflowEngine(operators=engine.operators, forms=engine.forms)
    with db.transaction() as s:
        assert fresh.load(s.get(ProcessInstance, iid)).spec.name == "p"
    _complete(db, fresh, iid, "b", {"note": "second"}, user_id=clerk.id)
    assert _open_bpmn_ids(db, iid) == ["c"]
    _complete(db, fresh, iid, "c", {"note": "third"})
    assert _status(db, iid) == InstanceStatus.COMPLETED
    assert v1 != v2


def test_migration_refusals_name_the_elements_and_change_nothing(db, engine):
    v1 = _deploy_xml(db, engine, V1)
    iid = _at_b(db, engine)
    other = _deploy_xml(db, engine, OTHER, "other.bpmn")
    v2 = _deploy_xml(db, engine, V3_WITHOUT_B)
    v3 = _deploy_xml(db, engine, V3_WITHOUT_A)
    before = _snapshot(db, iid)
    with db.transaction() as s:
        assert migration_problems(s, engine, iid, other) == [
            "version 1 belongs to the process 'other', this case runs 'p'"
        ]
        assert migration_problems(s, engine, iid, v1) == [
            "this case runs version 1; it can only move to a newer version, not to version 1"
        ]
        assert migration_problems(s, engine, iid, v2) == [B_GONE]
        assert migration_problems(s, engine, iid, v3) == [
            "the user task 'Task a' (a) that this case already passed was removed in version 3; "
            "its history could no longer be read"
        ]
    with pytest.raises(MigrationRefused) as refused, db.transaction() as s:
        migrate_instance(s, engine, iid, target_version_id=v2, user_id=None, reason="try")
    assert refused.value.problems == [B_GONE]
    assert isinstance(refused.value, InvalidState)
    with pytest.raises(InvalidState, match="Give a reason"), db.transaction() as s:
        migrate_instance(s, engine, iid, target_version_id=v3, user_id=None, reason="")
    assert _snapshot(db, iid) == before
    with db.transaction() as s:
        engine.terminate(s, iid, user_id=None)
        assert migration_problems(s, engine, iid, v2) == [
            "this case is terminated; only a running case can move to another version"
        ]


def test_migrate_version_moves_each_case_in_its_own_savepoint(db, engine):
    v1 = _deploy_xml(db, engine, V1)
    at_a = _start(db, engine, "p")  # waits at a: can move to the version without b
    at_b = _at_b(db, engine)  # waits at b: refused
    done = _at_b(db, engine)
    _complete(db, engine, done, "b", {"note": "x"})
    v2 = _deploy_xml(db, engine, V3_WITHOUT_B)
    with db.transaction() as s:
        report = migrate_version(s, engine, v1, v2, user_id=None, reason="b is no longer needed")
    assert report.migrated == [at_a]
    assert report.refused == {at_b: [B_GONE]}
    with db.transaction() as s:
        assert s.get(ProcessInstance, at_a).process_version_id == v2
        assert s.get(ProcessInstance, at_b).process_version_id == v1
        assert s.get(ProcessInstance, done).process_version_id == v1  # ended: left alone
    _complete(db, engine, at_a, "a", {"note": "x"})
    assert _open_bpmn_ids(db, at_a) == ["c"]
    with db.transaction() as s:
        report = migrate_version(s, engine, v1, v2, user_id=None, reason="again", instance_ids=[at_b, at_a])
    assert report.migrated == []
    assert set(report.refused) == {at_a, at_b}
    assert report.refused[at_a] == [f"case {at_a} does not run version 1 of 'p'"]


def test_a_waiting_timer_keeps_its_due_time_through_a_migration(db, engine, deploy):
    v1 = deploy(f"{MOVE}.bpmn").id
    iid = _start(db, engine)
    enter = _open_task(db, iid, "enter")
    with db.transaction() as s:
        move_token(s, engine, iid, task_guid=enter.task_guid, to_bpmn_id="cooling", user_id=None, reason="skip")
    with db.transaction() as s:
        due = s.get(ProcessInstance, iid).next_timer_at
    xml = (DIAGRAMS / f"{MOVE}.bpmn").read_text().replace('name="Archive"', 'name="Archive the file"')
    v2 = _deploy_xml(db, engine, xml, f"{MOVE}.bpmn")
    with db.transaction() as s:
        migrate_instance(s, engine, iid, target_version_id=v2, user_id=None, reason="rename archive")
    with db.transaction() as s:
        inst = s.get(ProcessInstance, iid)
        assert (inst.process_version_id, inst.next_timer_at) == (v2, due)
    assert v1 != v2


SUB = process(
    '<bpmn:startEvent id="s"/>'
    + flow("f1", "s", "prep")
    + user_task("prep")
    + flow("f2", "prep", "sub")
    + '<bpmn:subProcess id="sub" name="Inspection"><bpmn:startEvent id="ss"/>'
    + flow("sf1", "ss", "s1")
    + user_task("s1")
    + flow("sf2", "s1", "s2")
    + user_task("s2")
    + flow("sf3", "s2", "se")
    + '<bpmn:endEvent id="se"/></bpmn:subProcess>'
    + flow("f3", "sub", "after")
    + user_task("after")
    + flow("f4", "after", "e")
    + '<bpmn:endEvent id="e"/>',
    key="sp",
)
SUB_GONE = process(
    '<bpmn:startEvent id="s"/>'
    + flow("f1", "s", "prep")
    + user_task("prep")
    + flow("f2", "prep", "after")
    + user_task("after")
    + flow("f4", "after", "e")
    + '<bpmn:endEvent id="e"/>',
    key="sp",
)


def test_a_token_in_a_sub_process_moves_within_it_back_and_forth(db, engine):
    _deploy_xml(db, engine, SUB, "sp.bpmn")
    iid = _start(db, engine, "sp")
    _complete(db, engine, iid, "prep", {"note": "x"})
    s1 = _open_task(db, iid, "s1")
    with db.transaction() as s:
        assert move_targets(s, engine, iid, s1.task_guid) == [("s2", "Task s2")]
        with pytest.raises(InvalidState, match="There is no element 'after'"):
            move_token(s, engine, iid, task_guid=s1.task_guid, to_bpmn_id="after", user_id=None, reason="x")
    with db.transaction() as s:
        move_token(s, engine, iid, task_guid=s1.task_guid, to_bpmn_id="s2", user_id=None, reason="skip s1")
    s2 = _open_task(db, iid, "s2")
    with db.transaction() as s:
        move_token(s, engine, iid, task_guid=s2.task_guid, to_bpmn_id="s1", user_id=None, reason="do s1 after all")
    assert _open_bpmn_ids(db, iid) == ["s1"]
    with db.transaction() as s:
        assert _events(db, iid, "token_moved")[-1]["how"] == "forward"  # s1 was never passed: a new token
    _complete(db, engine, iid, "s1", {"note": "x"})
    s2 = _open_task(db, iid, "s2")
    with db.transaction() as s:
        move_token(s, engine, iid, task_guid=s2.task_guid, to_bpmn_id="s1", user_id=None, reason="redo s1")
    assert _events(db, iid, "token_moved")[-1]["how"] == "back"
    assert _open_bpmn_ids(db, iid) == ["s1"]
    with db.transaction() as s:
        assert len(s.scalars(select(HumanTask).where(HumanTask.bpmn_id == "s1")).all()) == 2  # one reopened
    _complete(db, engine, iid, "s1", {"note": "x"})
    _complete(db, engine, iid, "s2", {"note": "x"})
    after = _open_task(db, iid, "after")
    with db.transaction() as s:  # back to the whole sub-process: it starts over
        move_token(s, engine, iid, task_guid=after.task_guid, to_bpmn_id="sub", user_id=None, reason="inspect again")
    assert _open_bpmn_ids(db, iid) == ["s1"]
    _complete(db, engine, iid, "s1", {"note": "x"})
    _complete(db, engine, iid, "s2", {"note": "x"})
    _complete(db, engine, iid, "after", {"note": "x"})
    assert _status(db, iid) == InstanceStatus.COMPLETED


def test_a_sub_process_gone_from_the_new_version_is_named(db, engine):
    _deploy_xml(db, engine, SUB, "sp.bpmn")
    iid = _start(db, engine, "sp")
    _complete(db, engine, iid, "prep", {"note": "x"})
    v2 = _deploy_xml(db, engine, SUB_GONE, "sp.bpmn")
    with db.transaction() as s:
        problems = migration_problems(s, engine, iid, v2)
    assert "the subprocess 'Inspection' (sub) where this case waits does not exist in version 2" in problems
    assert (
        "the sub-process 'Inspection' (sub) running in this case calls 'sub', which does not exist in version 2"
        in problems
    )


def test_a_case_waiting_at_a_removed_task_is_refused_without_a_look_alike(db, engine):
    _deploy_xml(db, engine, V1)
    iid = _at_b(db, engine)
    v2 = _deploy_xml(
        db,
        engine,
        process(
            '<bpmn:startEvent id="s"/>'
            + flow("f1", "s", "a")
            + user_task("a")
            + flow("f2", "a", "e")
            + '<bpmn:endEvent id="e"/>'
        ),
    )
    with db.transaction() as s:
        assert migration_problems(s, engine, iid, v2) == [
            "the user task 'Task b' (b) where this case waits does not exist in version 2"
        ]


def test_a_case_waiting_for_a_service_call_migrates_and_runs_the_new_task_after_it(db, engine, deploy, lookup):
    engine.dispatch_service_calls = None  # the call stays pending while the case moves
    deploy("service.bpmn")
    iid = _start(db, engine, "lookup", data={"enterprise_number": "0202.239.951"})
    xml = (
        (DIAGRAMS / "service.bpmn")
        .read_text()
        .replace(
            '<bpmn:sequenceFlow id="f2" sourceRef="fetch" targetRef="check"/>',
            '<bpmn:sequenceFlow id="f2" sourceRef="fetch" targetRef="note"/>'
            '<bpmn:scriptTask id="note" name="Note the company"><bpmn:script>noted = company["name"]</bpmn:script>'
            '</bpmn:scriptTask><bpmn:sequenceFlow id="f2b" sourceRef="note" targetRef="check"/>',
        )
    )
    v2 = _deploy_xml(db, engine, xml, "service.bpmn")
    with db.transaction() as s:
        migrate_instance(s, engine, iid, target_version_id=v2, user_id=None, reason="note the company")
    with db.transaction() as s:
        call = s.scalars(select(ServiceCall)).one()  # the pending call was kept, not sent twice
        assert call.status == ServiceCallStatus.PENDING
        assert engine.finish_service_call(s, call.id, {"name": "ACP Les Tilleuls"}) is True
    with db.transaction() as s:
        assert engine.task_data(s.get(ProcessInstance, iid))["noted"] == "ACP Les Tilleuls"
    assert _open_bpmn_ids(db, iid) == ["check"]
    _complete(db, engine, iid, "check", {"note": "ok"})
    assert _status(db, iid) == InstanceStatus.COMPLETED


def test_a_move_loses_to_a_completion_saved_first(db, engine, deploy):
    deploy(f"{MOVE}.bpmn")
    iid = _start(db, engine)
    enter = _open_task(db, iid, "enter")
    first, second = db.sessionmaker(), db.sessionmaker()
    try:
        with first.begin(), second.begin():
            seen = second.get(ProcessInstance, iid)  # the designer's view, loaded before the completion
            assert seen.lock_version == first.get(ProcessInstance, iid).lock_version
            engine.complete(first, enter.id, {"amount": 10}, user_id=None)
            first.commit()
            with pytest.raises(StaleInstance):
                move_token(
                    second, engine, iid, task_guid=enter.task_guid, to_bpmn_id="expert", user_id=None, reason="late"
                )
    finally:
        first.close()
        second.close()
    assert _open_bpmn_ids(db, iid) == ["check"]
    assert _events(db, iid, "token_moved") == []
    # reloaded: the task is done, and the designer is told so
    gone = re.escape("No token is at 'Enter amount' (enter) any more")
    with pytest.raises(InvalidState, match=gone), db.transaction() as s:
        move_token(s, engine, iid, task_guid=enter.task_guid, to_bpmn_id="expert", user_id=None, reason="late")


def _script(task_id: str, script: str) -> str:
    return f'<bpmn:scriptTask id="{task_id}" name="Compute"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'


BROKEN = process(
    '<bpmn:startEvent id="s"/>'
    + flow("f1", "s", "calc")
    + _script("calc", "total = amount * 2")
    + flow("f2", "calc", "check")
    + user_task("check")
    + flow("f3", "check", "e")
    + '<bpmn:endEvent id="e"/>',
    key="compute",
)
FIXED = process(
    '<bpmn:startEvent id="s"/>'
    + flow("f1", "s", "calc")
    + _script("calc", "total = 0")
    + flow("f2", "calc", "extra")
    + user_task("extra")
    + flow("f2b", "extra", "check")
    + user_task("check")
    + flow("f3", "check", "e")
    + '<bpmn:endEvent id="e"/>',
    key="compute",
)


def test_fix_the_diagram_migrate_then_retry_the_failed_script(db, engine):
    _deploy_xml(db, engine, BROKEN, "compute.bpmn")
    iid = _start(db, engine, "compute")
    with db.transaction() as s:
        incident = s.scalars(select(Incident)).one()
        assert (incident.kind, s.get(ProcessInstance, iid).status) == ("script", InstanceStatus.ERROR)
    v2 = _deploy_xml(db, engine, FIXED, "compute.bpmn")
    with db.transaction() as s:
        migrate_instance(s, engine, iid, target_version_id=v2, user_id=None, reason="script fixed")
        assert s.get(ProcessInstance, iid).status == InstanceStatus.ERROR  # still failed until retried
    with db.transaction() as s:
        engine.retry_incident(s, incident.id, user_id=None, reason="the script is fixed in version 2")
    assert _events(db, iid, "incident_retried")[0]["reason"] == "the script is fixed in version 2"
    assert _open_bpmn_ids(db, iid) == ["extra"]  # the task added after the failed one is not skipped
    with db.transaction() as s:
        inst = s.get(ProcessInstance, iid)
        assert (inst.status, engine.task_data(inst)["total"]) == (InstanceStatus.WAITING, 0)
    _complete(db, engine, iid, "extra", {"note": "x"})
    _complete(db, engine, iid, "check", {"note": "x"})
    assert _status(db, iid) == InstanceStatus.COMPLETED


def test_a_suspended_case_migrates_and_stays_suspended(db, engine):
    _deploy_xml(db, engine, V1)
    iid = _at_b(db, engine)
    with db.transaction() as s:
        engine.suspend(s, iid, user_id=None, reason="diagram being fixed")
    v2 = _deploy_xml(db, engine, V2)
    with db.transaction() as s:
        migrate_instance(s, engine, iid, target_version_id=v2, user_id=None, reason="fixed")
    assert _status(db, iid) == InstanceStatus.SUSPENDED
    assert _open_bpmn_ids(db, iid) == ["b"]
    with db.transaction() as s:
        engine.resume(s, iid, user_id=None)
    _complete(db, engine, iid, "b", {"note": "x"})
    assert _open_bpmn_ids(db, iid) == ["c"]


def test_a_case_failing_half_way_is_rolled_back_to_its_savepoint(db, engine, monkeypatch):
    v1 = _deploy_xml(db, engine, V1)
    first, failing, last = _at_b(db, engine), _at_b(db, engine), _at_b(db, engine)
    v2 = _deploy_xml(db, engine, V2)
    real_save = engine._save

    def save(session, instance, wf, step, actor_id):
        real_save(session, instance, wf, step, actor_id)  # written, then someone else wins the race
        if instance.id == failing:
            raise StaleInstance("Someone else changed this case while you were working on it.")

    monkeypatch.setattr(engine, "_save", save)
    with db.transaction() as s:
        report = migrate_version(s, engine, v1, v2, user_id=None, reason="add c")
    assert report.migrated == [first, last]
    assert report.refused == {failing: ["Someone else changed this case while you were working on it."]}
    with db.transaction() as s:
        versions = {i.id: i.process_version_id for i in s.scalars(select(ProcessInstance))}
        assert versions == {first: v2, failing: v1, last: v2}
        migrated = s.scalars(select(AuditEvent.instance_id).where(AuditEvent.kind == "instance_migrated")).all()
        assert sorted(migrated) == [first, last]
    monkeypatch.undo()
    _complete(db, engine, failing, "b", {"note": "x"})  # still on version 1: b ends the case
    assert _status(db, failing) == InstanceStatus.COMPLETED


def test_moving_off_a_task_disarms_its_boundary_events(db, engine, deploy, clock):
    deploy(f"{MOVE}.bpmn")
    iid = _start(db, engine)
    _complete(db, engine, iid, "enter", {"amount": 10})
    check = _open_task(db, iid, "check")
    with db.transaction() as s:
        assert s.get(ProcessInstance, iid).next_timer_at is not None  # the SLA timer
        move_token(
            s, engine, iid, task_guid=check.task_guid, to_bpmn_id="archive", user_id=None, reason="checked on paper"
        )
    with db.transaction() as s:
        assert s.get(ProcessInstance, iid).next_timer_at is None
        wf = engine.load(s.get(ProcessInstance, iid))
        assert [t.state for t in wf.get_tasks() if t.task_spec.name == "sla"] == [256]  # CANCELLED
    clock.advance(hours=25)
    with db.transaction() as s:
        assert engine.fire_timers(s, iid) is False  # nothing armed: no escalation
    assert _open_bpmn_ids(db, iid) == ["archive"]
    _complete(db, engine, iid, "archive", {"note": "x"})
    assert _status(db, iid) == InstanceStatus.COMPLETED


def test_a_refusal_reads_as_one_sentence():
    refused = MigrationRefused(["the user task 'A' (a) where this case waits does not exist in version 2", "x"])
    assert str(refused) == (
        "This case cannot move to the new version: the user task 'A' (a) where this case waits does not exist "
        "in version 2; x."
    )
