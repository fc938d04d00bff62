"""Queues as data: seeding, membership, and dispatching a human task to another queue."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from engine.access.models import Role
from engine.db import Database
from engine.queues.commands import SEED_QUEUES, dispatch, member_codes, seed_queues
from engine.queues.models import Queue
from engine.workflow.errors import ConflictError, InvalidState
from engine.workflow.models import AuditEvent, HumanTask
from engine.workflow.runtime import WorkflowEngine
from tests.webapp.support import create_user


def _review_task(db: Database, engine: WorkflowEngine, deploy: Callable[[str], object]) -> int:
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
    with db.transaction() as s:
        return s.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance.id))


def test_seeding_adds_the_seed_queues_once_and_keeps_edits(db: Database) -> None:
    with db.transaction() as s:
        assert seed_queues(s) == len(SEED_QUEUES)
        codes = set(s.scalars(select(Queue.code)))
        assert {"frontdesk", "energy", "housing", "apartments", "neighbourhood_renovation", "adaptation",
                "loans", "coaches", "premiums", "portal", "syndic"} == codes
        s.scalar(select(Queue).where(Queue.code == "energy")).name_en = "Energy desk"
    with db.transaction() as s:
        assert seed_queues(s) == 0
        assert s.scalar(select(func.count()).select_from(Queue)) == len(SEED_QUEUES)
        energy = s.scalar(select(Queue).where(Queue.code == "energy"))
        assert energy.name("en") == "Energy desk"
        assert energy.name("nl") == "Energie (W&E)"
        assert energy.name(None) == "Énergie (H&E)"


def test_membership(db: Database) -> None:
    anna = create_user(db, Role.CASE_WORKER)
    with db.transaction() as s:
        seed_queues(s)
        queue = s.scalar(select(Queue).where(Queue.code == "energy"))
        queue.members.append(s.merge(anna))
    with db.transaction() as s:
        assert member_codes(s, anna.id) == {"energy"}


def test_dispatch_moves_the_task_and_is_audited(db: Database, engine: WorkflowEngine, deploy) -> None:
    dispatcher = create_user(db, Role.DISPATCHER)
    worker = create_user(db, Role.CASE_WORKER)
    task_id = _review_task(db, engine, deploy)
    with db.transaction() as s:
        seed_queues(s)
    with db.transaction() as s:
        engine.claim(s, task_id, user_id=worker.id)
    with db.transaction() as s:
        task = dispatch(s, task_id, to_queue="energy", by_user_id=dispatcher.id)
        assert (task.queue, task.assignee_id) == ("energy", None)  # not a member there: back to unassigned
    with db.transaction() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.kind == "task_dispatched"))
        assert event.actor_id == dispatcher.id
        assert event.detail["from"] == "frontdesk"
        assert event.detail["to"] == "energy"
        assert event.detail["previous_assignee"] == worker.id
        assert event.detail["human_task"] == task_id


def test_dispatch_keeps_an_assignee_who_is_a_member_of_the_target(db: Database, engine: WorkflowEngine,
                                                                   deploy) -> None:
    worker = create_user(db, Role.CASE_WORKER)
    task_id = _review_task(db, engine, deploy)
    with db.transaction() as s:
        seed_queues(s)
        queue = s.scalar(select(Queue).where(Queue.code == "loans"))
        queue.members.append(s.merge(worker))
    with db.transaction() as s:
        engine.claim(s, task_id, user_id=worker.id)
    with db.transaction() as s:
        assert dispatch(s, task_id, to_queue="loans", by_user_id=worker.id).assignee_id == worker.id


def test_dispatch_refuses_unknown_or_inactive_queues(db: Database, engine: WorkflowEngine, deploy) -> None:
    task_id = _review_task(db, engine, deploy)
    with db.transaction() as s:
        seed_queues(s)
        s.scalar(select(Queue).where(Queue.code == "energy")).active = False
    for target in ("energy", "nowhere"):
        with pytest.raises(InvalidState), db.transaction() as s:
            dispatch(s, task_id, to_queue=target, by_user_id=None)


def test_a_second_dispatch_from_a_stale_view_is_a_conflict(db: Database, engine: WorkflowEngine, deploy) -> None:
    task_id = _review_task(db, engine, deploy)
    with db.transaction() as s:
        seed_queues(s)
    with db.sessionmaker() as second:  # a view that read the task before someone else moved it
        with second.begin():
            seen = second.get(HumanTask, task_id)
            assert seen.queue == "frontdesk"
        with db.transaction() as first:
            dispatch(first, task_id, to_queue="energy", by_user_id=None)
        with pytest.raises(ConflictError), second.begin():
            dispatch(second, task_id, to_queue="housing", by_user_id=None)
    with db.transaction() as s:
        assert s.get(HumanTask, task_id).queue == "energy"


def test_queue_changes_are_audited(db) -> None:
    from sqlalchemy import select

    from engine.queues.commands import save_queue, set_queue_active
    from engine.workflow.models import AuditEvent

    values = {"code": "energy_x", "name_fr": "Énergie", "name_nl": "Energie", "name_en": "Energy",
              "description": "", "rules": "", "responsible_id": None, "member_ids": set()}
    with db.transaction() as session:
        queue = save_queue(session, None, values, by_user_id=None)
    with db.transaction() as session:
        save_queue(session, queue.id, {**values, "rules": "Energy questions"}, by_user_id=None)
        save_queue(session, queue.id, {**values, "rules": "Energy questions"}, by_user_id=None)  # no change
        set_queue_active(session, queue.id, False, by_user_id=None)
    with db.transaction() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "queue",
                                                          AuditEvent.subject_id == queue.id)
                                 .order_by(AuditEvent.id)).all()
        assert [e.kind for e in events] == ["queue_created", "queue_changed", "queue_deactivated"]
        assert events[1].detail["changes"] == {"rules": ["", "Energy questions"]}
