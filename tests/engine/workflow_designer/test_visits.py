"""Element visits are written at every save: opened when a token arrives, closed when it leaves,
completed (with who did it) or cancelled (boundary event, termination)."""

from __future__ import annotations

from sqlalchemy import select

from engine.access.models import User
from engine.workflow.models import (
    ElementVisit,
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    ProcessInstance,
    VisitOutcome,
)


def visits(session, instance_id: int) -> list[ElementVisit]:
    return list(
        session.scalars(select(ElementVisit).where(ElementVisit.instance_id == instance_id).order_by(ElementVisit.id))
    )


def summary(session, instance_id: int) -> list[tuple[str, str | None]]:
    """(bpmn_id, outcome) per visit, in the order they were written; outcome None = still open."""
    return [(v.bpmn_id, v.outcome) for v in visits(session, instance_id)]


def open_task(session, instance_id: int, bpmn_id: str) -> HumanTask:
    return session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id,
            HumanTask.bpmn_id == bpmn_id,
            HumanTask.state == HumanTaskState.READY,
        )
    ).one()


def make_user(db, name: str = "Els Peeters") -> int:
    with db.transaction() as s:
        user = User(email=f"{name.split()[0].lower()}@guichet.test", name=name)
        s.add(user)
        s.flush()
        return user.id


def test_start_writes_passed_elements_and_opens_the_waiting_one(db, engine, deploy):
    version = deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
    with db.transaction() as s:
        rows = visits(s, instance.id)
        # SpiffWorkflow's own Start / EndJoin specs are not elements: only real BPMN ids
        assert [(v.bpmn_id, v.outcome) for v in rows] == [
            ("start", VisitOutcome.COMPLETED),
            ("m_request", VisitOutcome.COMPLETED),
            ("enter", None),
        ]
        assert {v.process_version_id for v in rows} == {version.id}
        start, _, enter = rows
        assert start.left_at == start.entered_at  # an engine step enters and leaves at once
        assert enter.left_at is None and enter.actor_id is None
        assert len({v.task_guid for v in rows}) == 3


def test_completing_a_user_task_closes_its_visit_with_the_actor(db, engine, deploy):
    deploy("review.bpmn")
    user_id = make_user(db)
    with db.transaction() as s:
        instance = engine.start(s, "review")
    with db.transaction() as s:
        entered = visits(s, instance.id)[-1].entered_at
        engine.complete(s, open_task(s, instance.id, "enter").id, {"amount": 50}, user_id=user_id)
    with db.transaction() as s:
        assert s.get(ProcessInstance, instance.id).status == InstanceStatus.COMPLETED
        rows = {v.bpmn_id: v for v in visits(s, instance.id)}
        # the small amount went through the gateway to the script task, not to the expert
        assert summary(s, instance.id) == [
            ("start", "completed"),
            ("m_request", "completed"),
            ("enter", "completed"),
            ("gw", "completed"),
            ("simple", "completed"),
            ("join", "completed"),
            ("m_done", "completed"),
            ("end", "completed"),
        ]
        enter = rows["enter"]
        assert enter.actor_id == user_id
        assert enter.entered_at == entered and enter.left_at > entered
        assert rows["simple"].actor_id is None  # engine work has no actor
        assert s.scalars(select(ElementVisit).where(ElementVisit.left_at.is_(None))).all() == []


def test_big_amount_opens_the_expert_visit(db, engine, deploy):
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
    with db.transaction() as s:
        engine.complete(s, open_task(s, instance.id, "enter").id, {"amount": 5000}, user_id=None)
    with db.transaction() as s:
        assert summary(s, instance.id)[2:] == [("enter", "completed"), ("gw", "completed"), ("expert", None)]


def test_boundary_timers_complete_and_cancel_visits(db, engine, deploy, clock):
    deploy("timers.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "timers")
    with db.transaction() as s:
        # the task and both timers attached to it hold a token each
        assert summary(s, instance.id) == [("start", "completed"), ("answer", None), ("reminder", None), ("sla", None)]

    clock.advance(hours=1, minutes=1)  # the non-interrupting reminder fires; the task stays
    with db.transaction() as s:
        assert engine.fire_timers(s, instance.id, clock.now()) is True
    with db.transaction() as s:
        rows = summary(s, instance.id)
        # a firing of the cycle is a pass; the token waits there for the next one
        assert [o for b, o in rows if b == "reminder"] == ["completed", None]
        assert ("count_reminder", "completed") in rows and ("reminder_end", "completed") in rows
        open_rows = [b for b, outcome in rows if outcome is None]
        assert sorted(open_rows) == ["answer", "reminder", "sla"]
        reminders = [v for v in visits(s, instance.id) if v.bpmn_id == "reminder"]
        assert reminders[0].task_guid == reminders[1].task_guid
        assert reminders[1].entered_at == reminders[0].left_at

    with db.transaction() as s:  # firing again at the same moment: nothing due, nothing written
        assert engine.fire_timers(s, instance.id, clock.now()) is False
        assert len(visits(s, instance.id)) == len(rows)

    clock.advance(hours=24)  # the interrupting SLA timer cancels the task and the reminder
    with db.transaction() as s:
        assert engine.fire_timers(s, instance.id, clock.now()) is True
    with db.transaction() as s:
        by_id: dict[str, list[str | None]] = {}
        for bpmn_id, outcome in summary(s, instance.id):
            by_id.setdefault(bpmn_id, []).append(outcome)
        assert by_id["answer"] == ["cancelled"]
        assert by_id["sla"] == ["completed"]
        assert by_id["reminder"] == ["completed", "cancelled"]
        assert by_id["escalate"] == [None]
        answer = next(v for v in visits(s, instance.id) if v.bpmn_id == "answer")
        assert answer.left_at is not None and answer.actor_id is None


def test_terminate_cancels_every_open_visit(db, engine, deploy):
    deploy("timers.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "timers")
    with db.transaction() as s:
        engine.terminate(s, instance.id, user_id=None, reason="duplicate request")
    with db.transaction() as s:
        rows = visits(s, instance.id)
        assert [(v.bpmn_id, v.outcome) for v in rows] == [
            ("start", "completed"),
            ("answer", "cancelled"),
            ("reminder", "cancelled"),
            ("sla", "cancelled"),
        ]
        assert all(v.left_at is not None for v in rows)


def test_service_task_completed_by_the_worker_closes_its_visit(db, engine, deploy):
    deploy("service.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "lookup", data={"enterprise_number": "0202.239.951"})
    # the eager job completed the service task outside any engine step, in its own transaction
    with db.transaction() as s:
        assert summary(s, instance.id) == [("start", "completed"), ("fetch", "completed"), ("check", None)]
        fetch = next(v for v in visits(s, instance.id) if v.bpmn_id == "fetch")
        assert fetch.left_at >= fetch.entered_at


def test_failed_service_task_keeps_its_visit_open_until_the_retry(db, engine, deploy, lookup):
    lookup.failures_left = 3  # more than max_retries: an incident
    deploy("service.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "lookup", data={"enterprise_number": "0202.239.951"})
    with db.transaction() as s:
        assert summary(s, instance.id) == [("start", "completed"), ("fetch", None)]
        from engine.workflow.models import Incident

        incident = s.scalars(select(Incident)).one()
    with db.transaction() as s:
        engine.retry_incident(s, incident.id, user_id=None)
    with db.transaction() as s:
        assert summary(s, instance.id) == [("start", "completed"), ("fetch", "completed"), ("check", None)]


def test_merged_parallel_tokens_pass_the_join(db, engine, deploy):
    deploy("parallel.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "parallel")
    with db.transaction() as s:
        assert sorted(b for b, o in summary(s, instance.id) if o is None) == ["check_a", "check_b"]
        engine.complete(s, open_task(s, instance.id, "check_a").id, {}, user_id=None)
    with db.transaction() as s:
        # the first token waits at the join
        assert ("join", None) in summary(s, instance.id)
        engine.complete(s, open_task(s, instance.id, "check_b").id, {}, user_id=None)
    with db.transaction() as s:
        rows = summary(s, instance.id)
        assert [o for b, o in rows if b == "join"] == ["completed", "completed"]  # merged, not cancelled
        assert ("decide", None) in rows
        assert [o for b, o in rows if o is None] == [None]


def test_saves_without_change_write_nothing(db, engine, deploy):
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
    with db.transaction() as s:
        before = [(v.id, v.left_at) for v in visits(s, instance.id)]
        engine.suspend(s, instance.id, user_id=None)
    with db.transaction() as s:
        engine.resume(s, instance.id, user_id=None)  # a save that moves no token
    with db.transaction() as s:
        assert [(v.id, v.left_at) for v in visits(s, instance.id)] == before


def _forget_open_visits(session, engine, instance_id: int) -> None:
    """Make the stored state look like one saved before element visits existed."""
    from engine.workflow.serialization import dump_state
    from engine.workflow.visits import OPEN_MARK

    inst = session.get(ProcessInstance, instance_id)
    wf = engine.load(inst)
    assert wf.task_tree.internal_data.pop(OPEN_MARK) == [visits(session, instance_id)[-1].task_guid]
    inst.state = dump_state(wf)


def test_state_without_open_visits_reads_them_from_the_table(db, engine, deploy):
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
    with db.transaction() as s:
        _forget_open_visits(s, engine, instance.id)
    with db.transaction() as s:
        engine.complete(s, open_task(s, instance.id, "enter").id, {"amount": 5000}, user_id=None)
    with db.transaction() as s:
        assert summary(s, instance.id) == [
            ("start", "completed"),
            ("m_request", "completed"),
            ("enter", "completed"),
            ("gw", "completed"),
            ("expert", None),
        ]


def test_instance_older_than_visits_starts_writing_them(db, engine, deploy):
    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
    with db.transaction() as s:
        _forget_open_visits(s, engine, instance.id)
        s.execute(ElementVisit.__table__.delete())
    with db.transaction() as s:
        engine.complete(s, open_task(s, instance.id, "enter").id, {"amount": 5000}, user_id=None)
    with db.transaction() as s:
        rows = visits(s, instance.id)
        # its past before the upgrade is unknown; from now on it is recorded
        assert [(v.bpmn_id, v.outcome) for v in rows] == [("enter", "completed"), ("gw", "completed"), ("expert", None)]
        assert rows[0].entered_at == rows[0].left_at


def test_a_migrated_instance_keeps_its_past_on_the_old_version(db, engine, deploy):
    from tests.engine.conftest import DIAGRAMS

    v1 = deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
    changed = (DIAGRAMS / "review.bpmn").read_text().replace('name="Expert review"', 'name="Expert opinion"')
    with db.transaction() as s:
        v2 = engine.deploy(s, changed, "review.bpmn").version
        # what a migration does to the row (the tree keeps its task ids), then a save
        inst = s.get(ProcessInstance, instance.id)
        inst.process_version = v2
        inst.process_version_id = v2.id
        engine.suspend(s, instance.id, user_id=None)
    with db.transaction() as s:
        engine.resume(s, instance.id, user_id=None)
    with db.transaction() as s:
        engine.complete(s, open_task(s, instance.id, "enter").id, {"amount": 5000}, user_id=None)
    with db.transaction() as s:
        rows = [(v.bpmn_id, v.outcome, v.process_version_id) for v in visits(s, instance.id)]
        assert rows == [
            ("start", "completed", v1.id),
            ("m_request", "completed", v1.id),
            ("enter", "cancelled", v1.id),  # the token left version 1 here…
            ("enter", "completed", v2.id),  # …and went on in version 2
            ("gw", "completed", v2.id),
            ("expert", None, v2.id),
        ]


def test_moving_a_token_cancels_its_visit_and_opens_the_target(db, engine, deploy):
    from engine.workflow.interventions import move_token

    deploy("review.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "review")
    with db.transaction() as s:
        engine.complete(s, open_task(s, instance.id, "enter").id, {"amount": 5000}, user_id=None)
    with db.transaction() as s:
        expert = open_task(s, instance.id, "expert")
        move_token(
            s, engine, instance.id, task_guid=expert.task_guid, to_bpmn_id="enter", user_id=None, reason="wrong amount"
        )
    with db.transaction() as s:
        rows = summary(s, instance.id)
        assert rows[-2:] == [("expert", "cancelled"), ("enter", None)]
        assert [b for b, o in rows if o is None] == ["enter"]
        engine.complete(s, open_task(s, instance.id, "enter").id, {"amount": 50}, user_id=None)
    with db.transaction() as s:
        assert [o for b, o in summary(s, instance.id) if b == "enter"] == ["completed", "completed"]
        assert [b for b, o in summary(s, instance.id) if o is None] == []
