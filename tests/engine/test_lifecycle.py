"""Start, complete, gateways, parallel branches, phases, human-task rows and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.access.models import Role
from engine.access.users import create_user
from engine.workflow.errors import Forbidden, FormInvalid, InvalidState
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from engine.workflow.runtime import TaskAlreadyDone


def ready_tasks(session, instance_id):
    return list(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.READY)
            .order_by(HumanTask.id)
        )
    )


def test_small_amount_takes_the_script_branch(db, engine, deploy):
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review", subject=("dossier", 7))
    with db.transaction() as s:
        (task,) = ready_tasks(s, instance.id)
        assert (task.name, task.queue, task.form_key, task.phase) == (
            "Enter amount",
            "frontdesk",
            "test.amount",
            "request",
        )
        assert task.due_at is not None
        engine.complete(s, task.id, {"amount": "50"}, user_id=None)
    with db.transaction() as s:
        instance = s.get(ProcessInstance, instance.id)
        assert instance.status == InstanceStatus.COMPLETED
        assert instance.phase == "done"
        assert instance.completed_at is not None
        data = engine.task_data(instance)
        assert data["amount"] == 50  # the form schema converted the text
        assert data["approved"] is True
        assert data["deadline"] == "2026-12-28"  # 25 and 26 Dec are not Belgian working days
        kinds = [
            e.kind for e in s.scalars(select(AuditEvent).where(AuditEvent.subject_id == 7).order_by(AuditEvent.id))
        ]
        assert kinds == ["instance_started", "phase_entered", "task_completed", "phase_entered", "instance_completed"]


def test_large_amount_goes_to_the_expert(db, engine, deploy):
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
    with db.transaction() as s:
        engine.complete(s, ready_tasks(s, instance.id)[0].id, {"amount": 5000}, user_id=None)
    with db.transaction() as s:
        (expert,) = ready_tasks(s, instance.id)
        assert expert.bpmn_id == "expert"
        assert expert.queue == "experts"
        assert s.get(ProcessInstance, instance.id).status == InstanceStatus.WAITING
        engine.complete(s, expert.id, {"approved": True}, user_id=None)
    with db.transaction() as s:
        assert s.get(ProcessInstance, instance.id).status == InstanceStatus.COMPLETED


def test_invalid_form_data_saves_nothing(db, engine, deploy):
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
        version_before = instance.lock_version
    with db.transaction() as s:
        task = ready_tasks(s, instance.id)[0]
        with pytest.raises(FormInvalid) as err:
            engine.complete(s, task.id, {"amount": "a lot"}, user_id=None)
        assert "amount" in err.value.errors
    with db.transaction() as s:
        assert ready_tasks(s, instance.id)[0].state == HumanTaskState.READY
        assert s.get(ProcessInstance, instance.id).lock_version == version_before
        assert not s.scalars(select(AuditEvent).where(AuditEvent.kind == "task_completed")).all()


def test_parallel_branches_join_and_assign_by_expression(db, engine, deploy):
    with db.transaction() as s:
        boss = create_user(s, "boss@guichet.test", "Boss", "Very-secret-1", [Role.MANAGER])
    deploy("parallel.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "parallel")
    with db.transaction() as s:
        a, b = ready_tasks(s, instance.id)
        assert {a.queue, b.queue} == {"technical", "financial"}
        engine.complete(s, a.id, {"note": "roof ok"}, user_id=None)
    with db.transaction() as s:
        assert [t.bpmn_id for t in ready_tasks(s, instance.id)] == ["check_b"]
        engine.complete(s, b.id, {"note": "budget ok"}, user_id=None)
    with db.transaction() as s:
        (decide,) = ready_tasks(s, instance.id)
        assert decide.assignee_id == boss.id
        with pytest.raises(Forbidden):
            engine.complete(s, decide.id, {}, user_id=None)
        engine.complete(s, decide.id, {}, user_id=boss.id)
    with db.transaction() as s:
        assert s.get(ProcessInstance, instance.id).status == InstanceStatus.COMPLETED


def test_completing_twice_is_refused_with_who_and_when(db, engine, deploy):
    with db.transaction() as s:
        ann = create_user(s, "ann@guichet.test", "Ann Peeters", "Very-secret-1", [Role.CASE_WORKER])
    deploy("parallel.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "parallel")
        task_id = ready_tasks(s, instance.id)[0].id
    with db.transaction() as s:
        engine.complete(s, task_id, {"note": "first"}, user_id=ann.id)
    with db.transaction() as s, pytest.raises(TaskAlreadyDone) as err:
        engine.complete(s, task_id, {"note": "second"}, user_id=None)
    assert "Ann Peeters" in str(err.value)
    with db.transaction() as s:
        completions = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task_completed")).all()
        assert [e.detail["data"]["note"] for e in completions] == ["first"]


def test_claim_release_assign_are_audited(db, engine, deploy):
    with db.transaction() as s:
        ann = create_user(s, "ann@guichet.test", "Ann", "Very-secret-1", [Role.CASE_WORKER])
        bob = create_user(s, "bob@guichet.test", "Bob", "Very-secret-1", [Role.CASE_WORKER])
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
        task_id = ready_tasks(s, instance.id)[0].id
    with db.transaction() as s:
        engine.claim(s, task_id, user_id=ann.id)
    with db.transaction() as s:
        from engine.workflow.errors import ConflictError

        with pytest.raises(ConflictError):
            engine.claim(s, task_id, user_id=bob.id)
        with pytest.raises(Forbidden):
            engine.unclaim(s, task_id, user_id=bob.id)
    with db.transaction() as s:
        engine.assign(s, task_id, assignee_id=bob.id, by_user_id=ann.id)
    with db.transaction() as s:
        assert s.get(HumanTask, task_id).assignee_id == bob.id
        engine.unclaim(s, task_id, user_id=bob.id)
    with db.transaction() as s:
        assert s.get(HumanTask, task_id).assignee_id is None
        kinds = [e.kind for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert kinds[-3:] == ["task_claimed", "task_assigned", "task_released"]
        assigned = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task_assigned")).one()
        assert assigned.detail == {
            "task": "enter",
            "name": "Enter amount",
            "human_task": task_id,
            "previous_assignee": ann.id,
            "assignee": bob.id,
        }


def test_suspend_resume_terminate(db, engine, deploy):
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
        task_id = ready_tasks(s, instance.id)[0].id
    with db.transaction() as s:
        engine.suspend(s, instance.id, user_id=None)
    with db.transaction() as s, pytest.raises(InvalidState, match="suspended"):
        engine.complete(s, task_id, {"amount": 1}, user_id=None)
    with db.transaction() as s:
        assert engine.resume(s, instance.id, user_id=None).status == InstanceStatus.WAITING
    with db.transaction() as s:
        engine.terminate(s, instance.id, user_id=None, reason="citizen withdrew")
    with db.transaction() as s:
        assert s.get(HumanTask, task_id).state == HumanTaskState.CANCELLED
        assert s.get(ProcessInstance, instance.id).status == InstanceStatus.TERMINATED
        with pytest.raises(TaskAlreadyDone, match="cancelled"):
            engine.complete(s, task_id, {"amount": 1}, user_id=None)


def test_state_does_not_repeat_the_process_definition(db, engine, deploy):
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
    assert '"spec"' not in instance.state and "bpmn_id" not in instance.state
    assert len(instance.state) < 6000
