"""The instance viewer's read side: marks from the workflow state, element history from the
visits (with the data on demand), and the heat map of a version."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from engine.access.models import User
from engine.workflow import inspection
from engine.workflow.errors import NotFound
from engine.workflow.inspection import ElementMark, HeatCell, element_history, heat_map, instance_overview
from engine.workflow.models import (
    ElementVisit,
    HumanTask,
    HumanTaskState,
    Incident,
    ProcessInstance,
    ProcessVersion,
    VisitOutcome,
)

from .test_visits import make_user, open_task


def start_review(db, engine, deploy, amount: int | None = None, user_id: int | None = None) -> int:
    deploy("review.bpmn")
    with db.transaction() as s:
        instance_id = engine.start(s, "review").id
    if amount is not None:
        with db.transaction() as s:
            engine.complete(s, open_task(s, instance_id, "enter").id, {"amount": amount}, user_id=user_id)
    return instance_id


def test_overview_marks_where_the_tokens_are_and_have_been(db, engine, deploy):
    instance_id = start_review(db, engine, deploy, amount=5000)
    with db.transaction() as s:
        overview = instance_overview(s, engine, instance_id)
        assert overview.instance.id == instance_id
        assert overview.version.key == "review"
        assert overview.marks == {
            "start": ElementMark("start", 1, 0, False),
            "m_request": ElementMark("m_request", 1, 0, False),
            "enter": ElementMark("enter", 1, 0, False),
            "gw": ElementMark("gw", 1, 0, False),
            "expert": ElementMark("expert", 0, 1, False),
        }
        assert [t.bpmn_id for t in overview.ready_tasks] == ["expert"]
        assert overview.incidents == []
        assert overview.newer_versions == []


def test_overview_lists_newer_versions_of_the_same_key(db, engine, deploy):
    instance_id = start_review(db, engine, deploy)
    from tests.engine.conftest import DIAGRAMS

    changed = (DIAGRAMS / "review.bpmn").read_text().replace('name="Expert review"', 'name="Expert opinion"')
    with db.transaction() as s:
        v2 = engine.deploy(s, changed, "review.bpmn").version
    with db.transaction() as s:
        overview = instance_overview(s, engine, instance_id)
        assert [v.id for v in overview.newer_versions] == [v2.id]
        assert overview.version.version == 1 and v2.version == 2


def test_overview_marks_an_incident(db, engine, deploy, lookup):
    lookup.failures_left = 3  # beyond the retries: an incident on the service task
    deploy("service.bpmn")
    with db.transaction() as s:
        instance_id = engine.start(s, "lookup", data={"enterprise_number": "0202.239.951"}).id
    with db.transaction() as s:
        overview = instance_overview(s, engine, instance_id)
        assert overview.marks["fetch"] == ElementMark("fetch", 0, 1, True)
        assert overview.marks["start"].incident is False
        assert [i.bpmn_id for i in overview.incidents] == ["fetch"]
        incident_id = overview.incidents[0].id
    with db.transaction() as s:
        engine.resolve_incident(s, incident_id, user_id=None, note="looked it up by hand", result={"name": "X"})
    with db.transaction() as s:
        overview = instance_overview(s, engine, instance_id)
        assert overview.incidents == []
        assert overview.marks["fetch"] == ElementMark("fetch", 1, 0, False)
        assert overview.marks["check"].active == 1


def test_instance_older_than_visits_still_gets_marks(db, engine, deploy):
    instance_id = start_review(db, engine, deploy, amount=50)
    with db.transaction() as s:
        s.execute(delete(ElementVisit))  # as if it had run before element_visits existed
    with db.transaction() as s:
        overview = instance_overview(s, engine, instance_id)
        assert overview.marks["simple"] == ElementMark("simple", 1, 0, False)
        assert overview.marks["end"].completed == 1
        assert "expert" not in overview.marks
        assert all(m.active == 0 for m in overview.marks.values())
        assert element_history(s, engine, instance_id, "simple", with_data=True) == []


def test_terminated_instance_has_no_active_tokens(db, engine, deploy):
    instance_id = start_review(db, engine, deploy)
    with db.transaction() as s:
        engine.terminate(s, instance_id, user_id=None, reason="withdrawn by the citizen")
    with db.transaction() as s:
        marks = instance_overview(s, engine, instance_id).marks
        assert "enter" not in marks  # no token is there any more (its visit says cancelled)
        assert all(m.active == 0 for m in marks.values())
        assert marks["start"].completed == 1


def test_unknown_instance_is_not_found(db, engine):
    with db.transaction() as s:
        with pytest.raises(NotFound, match="does not exist"):
            instance_overview(s, engine, 4242)
        with pytest.raises(NotFound, match="does not exist"):
            element_history(s, engine, 4242, "enter", with_data=False)


def test_element_history_with_and_without_data(db, engine, deploy):
    user_id = make_user(db, "Jan Janssens")
    instance_id = start_review(db, engine, deploy, amount=5000, user_id=user_id)
    with db.transaction() as s:
        plain = element_history(s, engine, instance_id, "enter", with_data=False)
        assert len(plain) == 1
        visit = plain[0]
        assert (visit.outcome, visit.actor) == ("completed", "Jan Janssens")
        assert visit.left_at >= visit.entered_at
        assert (visit.data_in, visit.data_out) == (None, None)
        task_guid = s.scalars(select(HumanTask.task_guid).where(HumanTask.bpmn_id == "enter")).one()
        assert visit.task_guid == task_guid

        [with_data] = element_history(s, engine, instance_id, "enter", with_data=True)
        assert with_data.data_out == {"amount": 5000}  # what the form added
        assert "amount" not in with_data.data_in

        # the gateway added nothing; the expert is still there: its data is what it received
        [gw] = element_history(s, engine, instance_id, "gw", with_data=True)
        assert (gw.outcome, gw.actor, gw.data_out) == ("completed", None, {})
        assert gw.data_in["amount"] == 5000
        [expert] = element_history(s, engine, instance_id, "expert", with_data=True)
        assert (expert.outcome, expert.left_at, expert.data_out) == (None, None, None)
        assert expert.data_in["amount"] == 5000
        assert element_history(s, engine, instance_id, "simple", with_data=True) == []


def test_element_history_of_a_script_task_shows_what_it_set_json_safe(db, engine, deploy):
    instance_id = start_review(db, engine, deploy, amount=50)
    with db.transaction() as s:
        [simple] = element_history(s, engine, instance_id, "simple", with_data=True)
        # the script set approved and a date; the date comes back as an ISO string
        assert simple.data_out == {"approved": True, "deadline": "2026-12-28"}
        assert simple.data_in == {"amount": 50}


def test_history_is_oldest_first_and_gone_tasks_have_no_data(db, engine, deploy):
    instance_id = start_review(db, engine, deploy)
    with db.transaction() as s:
        inst = s.get(ProcessInstance, instance_id)
        base = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
        s.add_all(
            ElementVisit(
                instance_id=instance_id,
                process_version_id=inst.process_version_id,
                bpmn_id="expert",
                task_guid=f"00000000-0000-0000-0000-00000000000{i}",
                entered_at=base + dt.timedelta(days=3 - i),
                left_at=base + dt.timedelta(days=3 - i, hours=1),
                outcome=VisitOutcome.CANCELLED,
            )
            for i in range(3)
        )
    with db.transaction() as s:
        history = element_history(s, engine, instance_id, "expert", with_data=True)
        assert [h.task_guid[-1] for h in history] == ["2", "1", "0"]
        assert all(h.data_in is None and h.data_out is None for h in history)


def test_cap_limits_keys_and_size():
    many = {f"k{i:03}": i for i in range(80)}
    capped = inspection.cap(many)
    assert len(capped) == inspection.MAX_KEYS + 1
    assert capped[inspection.TRUNCATED_KEY] == "30 more key(s) not shown"
    big = {"letter": "x" * 30_000, "small": 1, "when": dt.date(2026, 3, 1)}
    assert inspection.cap(big) == {
        "small": 1,
        "when": "2026-03-01",
        inspection.TRUNCATED_KEY: "1 more key(s) not shown",
    }
    assert inspection.cap({"odd": object()})["odd"].startswith("<object object")


def _visit(instance_id, version_id, bpmn_id, entered, seconds, outcome):
    return ElementVisit(
        instance_id=instance_id,
        process_version_id=version_id,
        bpmn_id=bpmn_id,
        task_guid="11111111-1111-1111-1111-111111111111",
        entered_at=entered,
        left_at=entered + dt.timedelta(seconds=seconds) if seconds is not None else None,
        outcome=outcome,
    )


def test_heat_map_counts_and_averages_hand_built_visits(db, engine, deploy):
    instance_id = start_review(db, engine, deploy)
    with db.transaction() as s:
        s.execute(delete(ElementVisit))
        version_id = s.get(ProcessInstance, instance_id).process_version_id
        other = ProcessVersion(key="other", version=1, name="o", source_name="o.bpmn", bpmn_xml="", checksum="x")
        s.add(other)
        s.flush()
        t0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
        s.add_all(
            [
                _visit(instance_id, version_id, "enter", t0, 3600, VisitOutcome.COMPLETED),
                _visit(instance_id, version_id, "enter", t0, 2 * 86400 + 1800, VisitOutcome.COMPLETED),
                _visit(instance_id, version_id, "enter", t0, 60, VisitOutcome.CANCELLED),  # not in the mean
                _visit(instance_id, version_id, "enter", t0, None, None),
                _visit(instance_id, version_id, "enter", t0, None, None),
                _visit(instance_id, version_id, "gw", t0, 0, VisitOutcome.COMPLETED),
                _visit(instance_id, version_id, "expert", t0, None, None),
                _visit(instance_id, version_id, "simple", t0, 90, VisitOutcome.CANCELLED),
                _visit(instance_id, other.id, "enter", t0, 10, VisitOutcome.COMPLETED),  # another version
            ]
        )
    with db.transaction() as s:
        cells = heat_map(s, version_id)
        assert set(cells) == {"enter", "gw", "expert", "simple"}
        enter = cells["enter"]
        assert (enter.passed, enter.waiting) == (2, 2)
        assert enter.avg_seconds == pytest.approx((3600 + 2 * 86400 + 1800) / 2, abs=0.01)
        assert cells["gw"] == HeatCell("gw", 1, 0, pytest.approx(0.0, abs=0.01))
        assert cells["expert"] == HeatCell("expert", 0, 1, None)
        assert cells["simple"] == HeatCell("simple", 0, 0, None)
        assert heat_map(s, other.id)["enter"].avg_seconds == pytest.approx(10, abs=0.01)
        assert heat_map(s, 999_999) == {}


def test_heat_map_of_real_runs(db, engine, deploy):
    start_review(db, engine, deploy, amount=50)
    start_review(db, engine, deploy, amount=5000)
    instance_id = start_review(db, engine, deploy)
    with db.transaction() as s:
        version_id = s.get(ProcessInstance, instance_id).process_version_id
        cells = heat_map(s, version_id)
        assert (cells["start"].passed, cells["start"].waiting) == (3, 0)
        assert (cells["enter"].passed, cells["enter"].waiting) == (2, 1)
        assert (cells["expert"].passed, cells["expert"].waiting) == (0, 1)
        assert cells["simple"].passed == 1 and cells["end"].passed == 1
        assert cells["enter"].avg_seconds >= 0
        assert cells["expert"].avg_seconds is None
        assert s.scalar(select(HumanTask.id).where(HumanTask.state == HumanTaskState.READY).limit(1))
        assert s.scalars(select(Incident)).all() == []
        assert s.scalar(select(User.id)) is None


def test_a_task_visited_again_shows_only_its_latest_data(db, engine, deploy):
    from engine.workflow.interventions import move_token

    instance_id = start_review(db, engine, deploy, amount=5000)
    with db.transaction() as s:
        expert = open_task(s, instance_id, "expert")
        move_token(s, engine, instance_id, task_guid=expert.task_guid, to_bpmn_id="enter", user_id=None, reason="typo")
    with db.transaction() as s:
        first, again = element_history(s, engine, instance_id, "enter", with_data=True)
        assert first.task_guid == again.task_guid  # the same task, reset
        assert (first.outcome, first.data_in, first.data_out) == ("completed", None, None)
        assert (again.outcome, again.data_out) == (None, None)
        assert "amount" not in again.data_in  # reset to what it received the first time
        engine.complete(s, open_task(s, instance_id, "enter").id, {"amount": 50}, user_id=None)
    with db.transaction() as s:
        first, again = element_history(s, engine, instance_id, "enter", with_data=True)
        assert first.data_out is None and again.data_out == {"amount": 50}
