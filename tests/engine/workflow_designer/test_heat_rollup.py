"""The heat map's roll-up: closed visits added up per (version, element) by a periodic job, the
heat map = the totals + what closed since the watermark + the open visits, always the same
figures as aggregating every visit."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import delete, event, select

from engine import jobs
from engine.workflow import heat_rollup
from engine.workflow.heat_rollup import HeatCell, heat_map, roll_up_visits
from engine.workflow.models import (
    ElementVisit,
    ElementVisitTotal,
    ProcessInstance,
    ProcessVersion,
    RollupWatermark,
    VisitOutcome,
)

from .test_inspection import _visit, start_review

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
COMPLETED, CANCELLED = VisitOutcome.COMPLETED, VisitOutcome.CANCELLED


def _aggregate_every_visit(session, version_id: int) -> dict[str, HeatCell]:
    """The heat map computed the plain way, in Python, from every visit of the version."""
    cells: dict[str, list] = {}
    for v in session.scalars(select(ElementVisit).where(ElementVisit.process_version_id == version_id)):
        cell = cells.setdefault(v.bpmn_id, [0, 0, 0.0])
        if v.left_at is None:
            cell[1] += 1
        elif v.outcome == COMPLETED:
            cell[0] += 1
            cell[2] += (v.left_at - v.entered_at).total_seconds()
    return {b: HeatCell(b, p, w, pytest.approx(s / p, abs=0.01) if p else None) for b, (p, w, s) in cells.items()}


def _totals(session) -> dict[tuple[int, str], tuple[int, float]]:
    return {
        (t.process_version_id, t.bpmn_id): (t.passed, round(t.seconds, 3))
        for t in session.scalars(select(ElementVisitTotal))
    }


def _watermark(session) -> dt.datetime | None:
    return session.scalar(select(RollupWatermark.upto).where(RollupWatermark.name == heat_rollup.WATERMARK))


@pytest.fixture
def hand_built(db, engine, deploy) -> tuple[int, int, int]:
    """(instance, its version, another version) with hand-written visits left over a few days
    after T0: completed, cancelled, open, an element only ever cancelled, another version."""
    instance_id = start_review(db, engine, deploy)
    with db.transaction() as s:
        s.execute(delete(ElementVisit))
        version_id = s.get(ProcessInstance, instance_id).process_version_id
        other = ProcessVersion(key="other", version=1, name="o", source_name="o.bpmn", bpmn_xml="", checksum="x")
        s.add(other)
        s.flush()
        s.add_all(
            [
                _visit(instance_id, version_id, "enter", T0, 3600, COMPLETED),
                _visit(instance_id, version_id, "enter", T0, 2 * 86400 + 1800, COMPLETED),
                _visit(instance_id, version_id, "enter", T0, 60, CANCELLED),  # not in the mean
                _visit(instance_id, version_id, "enter", T0, None, None),
                _visit(instance_id, version_id, "enter", T0, None, None),
                _visit(instance_id, version_id, "gw", T0, 0, COMPLETED),
                _visit(instance_id, version_id, "expert", T0, None, None),
                _visit(instance_id, version_id, "simple", T0, 90, CANCELLED),  # only ever cancelled
                _visit(instance_id, other.id, "enter", T0, 10, COMPLETED),  # another version
            ]
        )
        return instance_id, version_id, other.id


def test_the_heat_map_is_the_same_before_and_after_the_roll_up(db, hand_built):
    _instance_id, version_id, other_id = hand_built
    with db.transaction() as s:
        before = heat_map(s, version_id)
        assert before == _aggregate_every_visit(s, version_id)
        assert before["simple"] == HeatCell("simple", 0, 0, None)
        assert before["expert"] == HeatCell("expert", 0, 1, None)
        assert _watermark(s) is None and _totals(s) == {}
    with db.transaction() as s:
        run = roll_up_visits(s, now=T0 + dt.timedelta(days=10))
        assert (run.since, run.upto, run.cells) == (None, T0 + dt.timedelta(days=10) - heat_rollup.MARGIN, 4)
    with db.transaction() as s:
        assert _totals(s) == {
            (version_id, "enter"): (2, 3600 + 2 * 86400 + 1800.0),
            (version_id, "gw"): (1, 0.0),
            (version_id, "simple"): (0, 0.0),  # kept so that the element still shows
            (other_id, "enter"): (1, 10.0),
        }
        after = heat_map(s, version_id)
        assert after == before
        assert after["enter"] == HeatCell("enter", 2, 2, pytest.approx((3600 + 2 * 86400 + 1800) / 2, abs=0.01))
        assert heat_map(s, other_id) == {"enter": HeatCell("enter", 1, 0, pytest.approx(10.0, abs=0.01))}
        assert heat_map(s, 999_999) == {}


def test_visits_closed_after_the_watermark_are_counted_once(db, hand_built):
    instance_id, version_id, _other = hand_built
    first = T0 + dt.timedelta(days=10)
    with db.transaction() as s:
        roll_up_visits(s, now=first)
        watermark = _watermark(s)
    later = watermark + dt.timedelta(hours=1)
    with db.transaction() as s:
        s.add(_visit(instance_id, version_id, "enter", later - dt.timedelta(seconds=600), 600, COMPLETED))
        s.add(_visit(instance_id, version_id, "fresh", later, 5, CANCELLED))  # a new element, cancelled
        # an open visit closing after the watermark: counted live, not as waiting any more
        open_one = s.scalars(select(ElementVisit).where(ElementVisit.bpmn_id == "expert")).one()
        open_one.left_at, open_one.outcome = later, COMPLETED.value
    with db.transaction() as s:
        live = heat_map(s, version_id)
        assert live == _aggregate_every_visit(s, version_id)
        assert (live["enter"].passed, live["expert"].passed, live["expert"].waiting) == (3, 1, 0)
        assert live["fresh"] == HeatCell("fresh", 0, 0, None)
        assert _totals(s)[(version_id, "enter")][0] == 2  # not rolled up yet
    with db.transaction() as s:
        run = roll_up_visits(s, now=later + dt.timedelta(days=1))
        assert run.since == watermark and run.cells == 3  # enter, expert, fresh
    with db.transaction() as s:
        assert _totals(s)[(version_id, "enter")] == (3, 3600 + 2 * 86400 + 1800 + 600.0)
        assert _totals(s)[(version_id, "fresh")] == (0, 0.0)
        assert heat_map(s, version_id) == live  # counted once, whether live or rolled up


def test_a_visit_closed_within_the_margin_waits_for_a_later_run_but_is_counted(db, hand_built):
    instance_id, version_id, _other = hand_built
    now = T0 + dt.timedelta(days=10)
    with db.transaction() as s:
        # closed a minute before "now": its transaction may still be open elsewhere
        s.add(_visit(instance_id, version_id, "gw", now - dt.timedelta(minutes=1), 0, COMPLETED))
        s.add(_visit(instance_id, version_id, "gw", now - dt.timedelta(minutes=10), 0, COMPLETED))
    with db.transaction() as s:
        run = roll_up_visits(s, now=now, margin=dt.timedelta(minutes=5))
        assert run.upto == now - dt.timedelta(minutes=5) == _watermark(s)
    with db.transaction() as s:
        assert _totals(s)[(version_id, "gw")] == (2, 0.0)  # the one closed 10 minutes ago only
        assert heat_map(s, version_id)["gw"].passed == 3
    with db.transaction() as s:
        roll_up_visits(s, now=now + dt.timedelta(minutes=5))
    with db.transaction() as s:
        assert _totals(s)[(version_id, "gw")] == (3, 0.0)
        assert heat_map(s, version_id)["gw"].passed == 3


def test_running_the_roll_up_twice_adds_nothing(db, hand_built):
    _instance_id, version_id, _other = hand_built
    now = T0 + dt.timedelta(days=10)
    with db.transaction() as s:
        roll_up_visits(s, now=now)
    with db.transaction() as s:
        totals, cells = _totals(s), heat_map(s, version_id)
    with db.transaction() as s:
        again = roll_up_visits(s, now=now)
        assert again.cells == 0 and again.upto == again.since == now - heat_rollup.MARGIN
        earlier = roll_up_visits(s, now=now - dt.timedelta(days=1))  # a clock behind: the watermark stays
        assert earlier.cells == 0 and _watermark(s) == now - heat_rollup.MARGIN
        later = roll_up_visits(s, now=now + dt.timedelta(days=1))  # nothing closed meanwhile
        assert later.cells == 0 and _watermark(s) == now + dt.timedelta(days=1) - heat_rollup.MARGIN
    with db.transaction() as s:
        assert _totals(s) == totals
        assert heat_map(s, version_id) == cells


def test_two_runs_at_once_add_the_visits_once(db, hand_built):
    """The second run waits for the first's lock on the watermark, then finds nothing to add."""
    _instance_id, version_id, _other = hand_built
    now = T0 + dt.timedelta(days=10)
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            with db.transaction() as s2:
                outcome["run"] = roll_up_visits(s2, now=now)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc

    with db.transaction() as s1:
        first = roll_up_visits(s1, now=now)
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the second run did not wait for the first one's lock"
    thread.join(10)
    assert "error" not in outcome, outcome.get("error")
    assert first.cells == 4 and outcome["run"].cells == 0
    with db.transaction() as s:
        assert _totals(s)[(version_id, "enter")] == (2, 3600 + 2 * 86400 + 1800.0)
        assert heat_map(s, version_id) == _aggregate_every_visit(s, version_id)


def test_a_roll_up_committed_while_the_heat_map_reads_counts_nothing_twice(db, hand_built):
    """heat_map reads the watermark, then its statement: a roll-up committing in between moves
    the watermark and the totals together, and the statement sees both."""
    _instance_id, version_id, _other = hand_built
    with db.transaction() as s:
        roll_up_visits(s, now=T0 - dt.timedelta(days=30))  # a watermark before every visit
        expected = _aggregate_every_visit(s, version_id)
    fired: list[int] = []

    def roll_up_meanwhile(_conn, _cursor, statement, *_args) -> None:
        if "element_visit_totals" in statement and not fired:
            fired.append(1)
            with db.transaction() as other:
                assert roll_up_visits(other, now=T0 + dt.timedelta(days=10)).cells == 4

    event.listen(db.engine, "before_cursor_execute", roll_up_meanwhile)
    try:
        with db.transaction() as s:
            cells = heat_map(s, version_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", roll_up_meanwhile)
    assert fired and cells == expected
    assert cells["enter"].passed == 2


def test_real_runs_give_the_same_heat_map_rolled_up(db, engine, deploy):
    start_review(db, engine, deploy, amount=50)
    start_review(db, engine, deploy, amount=5000)
    instance_id = start_review(db, engine, deploy)
    with db.transaction() as s:
        version_id = s.get(ProcessInstance, instance_id).process_version_id
        before = heat_map(s, version_id)
        assert (before["enter"].passed, before["enter"].waiting, before["expert"].waiting) == (2, 1, 1)
    with db.transaction() as s:
        run = roll_up_visits(s, now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), margin=dt.timedelta(0))
        assert run.cells >= 5
    with db.transaction() as s:
        assert _totals(s)[(version_id, "start")][0] == 3
        assert heat_map(s, version_id) == {
            b: HeatCell(b, c.passed, c.waiting, pytest.approx(c.avg_seconds, abs=0.01) if c.avg_seconds is not None
                        else None)
            for b, c in before.items()
        }


def test_the_job_runs_through_celery_and_is_on_the_beat(db, engine, hand_built):
    _instance_id, version_id, _other = hand_built
    assert jobs.celery.conf.task_always_eager
    entry = jobs.celery.conf.beat_schedule["roll-up-visits"]
    assert entry["task"] == "guichet.roll_up_visits" and entry["schedule"] <= 600
    # found by its name, as the beat sends it; eager: runs at once, in its own transaction
    assert jobs.celery.tasks["guichet.roll_up_visits"].delay().get() == 4  # the visits closed in March 2026
    with db.transaction() as s:
        assert _totals(s)[(version_id, "enter")] == (2, 3600 + 2 * 86400 + 1800.0)
        assert _watermark(s) > dt.datetime.now(dt.UTC) - heat_rollup.MARGIN - dt.timedelta(minutes=1)
    assert jobs.roll_up_visits.delay().get() == 0


def test_bad_arguments_say_what_to_fix(db):
    with db.transaction() as s:
        with pytest.raises(ValueError, match="time zone"):
            roll_up_visits(s, now=dt.datetime(2026, 3, 2, 8, 0))
        with pytest.raises(ValueError, match="must not be negative"):
            roll_up_visits(s, margin=dt.timedelta(minutes=-1))
