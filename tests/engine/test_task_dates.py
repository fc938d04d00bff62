"""Setting a task's due date and follow-up date: audited, refused on closed tasks, and racing a
completion of the same instance through the instance's lock_version."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.access.models import Role
from engine.access.users import create_user
from engine.workflow.errors import NotFound
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, ProcessInstance
from engine.workflow.runtime import StaleInstance, TaskAlreadyDone

DUE = dt.datetime(2026, 12, 4, 22, 59, tzinfo=dt.UTC)
FOLLOW_UP = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)


def _parallel_tasks(db, engine, deploy):
    deploy("parallel.bpmn")
    with db.transaction() as s:
        ann = create_user(s, "ann@guichet.test", "Ann", "Very-secret-1", [Role.CASE_WORKER])
        instance = engine.start(s, "parallel")
        tasks = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id).order_by(HumanTask.id)).all()
        return ann.id, instance.id, [t.id for t in tasks]


def test_dates_are_set_cleared_and_audited(db, engine, deploy):
    ann, instance_id, (task_id, _other) = _parallel_tasks(db, engine, deploy)
    with db.transaction() as s:
        version = s.get(ProcessInstance, instance_id).lock_version
        engine.set_task_dates(s, task_id, due_at=DUE, follow_up_at=FOLLOW_UP, user_id=ann)
    with db.transaction() as s:
        task = s.get(HumanTask, task_id)
        assert (task.due_at, task.follow_up_at) == (DUE, FOLLOW_UP)
        assert s.get(ProcessInstance, instance_id).lock_version == version + 1
        engine.set_task_dates(s, task_id, due_at=None, follow_up_at=FOLLOW_UP, user_id=ann)
    with db.transaction() as s:
        task = s.get(HumanTask, task_id)
        assert (task.due_at, task.follow_up_at) == (None, FOLLOW_UP)
        events = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task_dates_set").order_by(AuditEvent.id)).all()
        assert [e.actor_id for e in events] == [ann, ann]
        assert events[0].detail["due_at"] == DUE.isoformat()
        assert events[1].detail["previous"]["due_at"] == DUE.isoformat()
        assert events[1].detail["due_at"] is None


def test_unchanged_dates_write_nothing(db, engine, deploy):
    ann, instance_id, (task_id, _other) = _parallel_tasks(db, engine, deploy)
    with db.transaction() as s:
        before = s.get(HumanTask, task_id).due_at
        version = s.get(ProcessInstance, instance_id).lock_version
        engine.set_task_dates(s, task_id, due_at=before, follow_up_at=None, user_id=ann)
    with db.transaction() as s:
        assert s.get(ProcessInstance, instance_id).lock_version == version
        assert s.scalar(select(AuditEvent).where(AuditEvent.kind == "task_dates_set")) is None


def test_closed_or_unknown_task_is_refused(db, engine, deploy):
    ann, _instance_id, (task_id, _other) = _parallel_tasks(db, engine, deploy)
    with db.transaction() as s:
        engine.complete(s, task_id, {"note": "done"}, user_id=ann)
    with db.transaction() as s, pytest.raises(TaskAlreadyDone, match="already completed by Ann"):
        engine.set_task_dates(s, task_id, due_at=DUE, follow_up_at=None, user_id=ann)
    with db.transaction() as s, pytest.raises(NotFound):
        engine.set_task_dates(s, 999_999, due_at=DUE, follow_up_at=None, user_id=ann)


def test_a_completion_saved_meanwhile_makes_the_dates_stale(db, engine, deploy):
    ann, _instance_id, (task_a, task_b) = _parallel_tasks(db, engine, deploy)
    first = db.sessionmaker()
    second = db.sessionmaker()
    try:
        with first.begin(), second.begin():
            loaded = second.get(HumanTask, task_b)  # loads task and instance before the other saves
            assert loaded.instance.lock_version >= 1
            engine.complete(first, task_a, {"note": "first"}, user_id=ann)
            first.commit()
            with pytest.raises(StaleInstance):
                engine.set_task_dates(second, task_b, due_at=DUE, follow_up_at=None, user_id=ann)
    finally:
        first.close()
        second.close()
    with db.transaction() as s:
        task = s.get(HumanTask, task_b)
        assert task.state == HumanTaskState.READY
        assert task.due_at != DUE  # nothing of the loser was kept
