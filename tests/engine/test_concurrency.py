"""Two people act on the same instance at once, through two real database sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, ProcessInstance
from engine.workflow.runtime import StaleInstance


def test_two_completions_of_the_same_instance_one_wins(db, engine, deploy):
    deploy("parallel.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "parallel")
        task_a, task_b = s.scalars(select(HumanTask).order_by(HumanTask.id)).all()

    first = db.sessionmaker()
    second = db.sessionmaker()
    try:
        with first.begin(), second.begin():
            # both load the instance before either saves
            first_ht = first.get(HumanTask, task_a.id)
            second_ht = second.get(HumanTask, task_b.id)
            assert first_ht.instance.lock_version == second_ht.instance.lock_version
            engine.complete(first, task_a.id, {"note": "first"}, user_id=None)
            first.commit()
            with pytest.raises(StaleInstance, match="Someone else changed this case"):
                engine.complete(second, task_b.id, {"note": "second"}, user_id=None)
    finally:
        first.close()
        second.close()

    with db.transaction() as s:
        assert s.get(HumanTask, task_a.id).state == HumanTaskState.COMPLETED
        assert s.get(HumanTask, task_b.id).state == HumanTaskState.READY  # nothing of the loser was kept
        notes = [
            e.detail["data"]["note"] for e in s.scalars(select(AuditEvent).where(AuditEvent.kind == "task_completed"))
        ]
        assert notes == ["first"]
    # a retry of the loser now succeeds
    with db.transaction() as s:
        engine.complete(s, task_b.id, {"note": "second"}, user_id=None)
    with db.transaction() as s:
        assert [t.bpmn_id for t in s.scalars(select(HumanTask).where(HumanTask.state == HumanTaskState.READY))] == [
            "decide"
        ]
        assert s.get(ProcessInstance, instance.id).lock_version > 1
