"""Flow figures against a hand-built set of dossiers with known answers, on both databases:
opened/closed per ISO week and per month (empty buckets included, UTC edges, end exclusive),
per breakdown, and the journey funnel."""

from __future__ import annotations

import pytest

from engine.cases.models import DossierSubtype
from engine.db import Database
from engine.monitoring.filters import Scope
from engine.monitoring.flow import bucket_range, flow_report, journey_funnel

from .work_data import at, dossier, version

MARCH_APRIL = Scope(start=at("2026-03-01 00:00"), end=at("2026-05-01 00:00"))


@pytest.fixture
def data(db: Database) -> dict[str, int]:
    """Eleven dossiers around March-April 2026 (see each line for where it must count)."""
    with db.transaction() as s:
        pv = version(s)
        advice_subtype = DossierSubtype(type="premiums", code="rmp_advice", name_fr="Prime conseil",
                                        journey_stage="advice")
        s.add(advice_subtype)
        s.flush()
        a = dossier(s, pv, "information", "2026-03-02 09:00", closed_at="2026-03-10 12:00", source="phone",
                    main_project="fosster")
        b = dossier(s, pv, "information", "2026-03-01 23:30", source="email")  # a Sunday: week of Feb 23
        dossier(s, pv, "advice", "2026-03-31 23:59:59", journey=a, closed_at="2026-04-02 08:00",
                status="terminated")
        dossier(s, pv, "project_design", "2026-04-15 10:00", journey=a)
        dossier(s, pv, "advice", "2026-02-28 10:00", closed_at="2026-03-05 10:00")  # opened before the period
        dossier(s, pv, "information", "2026-04-01 00:00", active=False)  # deactivated: nowhere
        dossier(s, pv, "execution", "2026-05-01 00:00")  # the end is exclusive
        dossier(s, pv, "premiums", "2026-04-20 10:00", journey=b, subtype_id=advice_subtype.id)  # stage: advice
        dossier(s, pv, "execution", "2026-04-05 10:00")  # a Sunday: week of Mar 30
        j = dossier(s, pv, "information", "2026-04-10 10:00")
        dossier(s, pv, "project_design", "2026-04-11 10:00", journey=j)  # skipped advice
        return {"subtype": advice_subtype.id}


def test_bucket_range_weeks_start_on_monday_and_months_on_the_first():
    assert bucket_range(at("2026-03-01 00:00").date(), at("2026-03-09 00:00").date(), "week") == [
        "2026-02-23", "2026-03-02", "2026-03-09"]
    assert bucket_range(at("2025-12-31 00:00").date(), at("2026-02-01 00:00").date(), "month") == [
        "2025-12-01", "2026-01-01", "2026-02-01"]


def test_opened_and_closed_per_month(db, data):
    with db.transaction() as s:
        report = flow_report(s, MARCH_APRIL, interval="month", breakdown="type")
    assert report.buckets == ["2026-03-01", "2026-04-01"]
    assert report.opened == {"2026-03-01": 3, "2026-04-01": 5}
    assert report.closed == {"2026-03-01": 2, "2026-04-01": 1}
    assert report.by_group == {
        ("2026-03-01", "information"): (2, 1),
        ("2026-03-01", "advice"): (1, 1),
        ("2026-04-01", "advice"): (0, 1),
        ("2026-04-01", "project_design"): (2, 0),
        ("2026-04-01", "premiums"): (1, 0),
        ("2026-04-01", "execution"): (1, 0),
        ("2026-04-01", "information"): (1, 0),
    }
    assert report.groups[:2] == ["information", "advice"]  # most dossiers first (4 and 3)
    assert report.group_total("project_design") == (2, 0)


def test_opened_and_closed_per_iso_week_with_empty_weeks(db, data):
    with db.transaction() as s:
        report = flow_report(s, MARCH_APRIL, interval="week", breakdown="type")
    assert report.buckets == ["2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30",
                              "2026-04-06", "2026-04-13", "2026-04-20", "2026-04-27"]
    assert [report.opened[b] for b in report.buckets] == [1, 1, 0, 0, 0, 2, 2, 1, 1, 0]
    assert [report.closed[b] for b in report.buckets] == [0, 1, 1, 0, 0, 1, 0, 0, 0, 0]


def test_breakdown_by_journey_stage_uses_the_subtype_stage(db, data):
    with db.transaction() as s:
        report = flow_report(s, MARCH_APRIL, interval="month", breakdown="stage")
    assert report.by_group[("2026-04-01", "advice")] == (1, 1)  # the premiums dossier of an "advice" subtype
    assert report.by_group[("2026-04-01", "project_design")] == (2, 0)
    assert ("2026-04-01", "follow_up") not in report.by_group


def test_breakdown_by_source_project_and_subtype_keep_the_unknown_apart(db, data):
    with db.transaction() as s:
        by_source = flow_report(s, MARCH_APRIL, interval="month", breakdown="source")
        by_project = flow_report(s, MARCH_APRIL, interval="month", breakdown="project")
        by_subtype = flow_report(s, MARCH_APRIL, interval="month", breakdown="subtype")
    assert by_source.by_group[("2026-03-01", "phone")] == (1, 1)
    assert by_source.by_group[("2026-03-01", "email")] == (1, 0)
    assert by_source.by_group[("2026-03-01", None)] == (1, 1)
    assert by_project.group_total("fosster") == (1, 1)
    assert by_subtype.by_group[("2026-04-01", str(data["subtype"]))] == (1, 0)


def test_filters_on_type_and_unbounded_period(db, data):
    information = Scope(start=MARCH_APRIL.start, end=MARCH_APRIL.end, dossier_type="information")
    with db.transaction() as s:
        info = flow_report(s, information, interval="month")
        everything = flow_report(s, Scope(), interval="month", now=at("2026-05-15 00:00"))
    assert info.opened == {"2026-03-01": 2, "2026-04-01": 1}
    assert info.closed == {"2026-03-01": 1, "2026-04-01": 0}
    assert everything.buckets == ["2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"]
    assert everything.opened == {"2026-02-01": 1, "2026-03-01": 3, "2026-04-01": 5, "2026-05-01": 1}


def test_unknown_interval_or_breakdown_says_what_to_use(db):
    with db.transaction() as s, pytest.raises(ValueError, match="week, month"):
        flow_report(s, Scope(), interval="day")
    with db.transaction() as s, pytest.raises(ValueError, match="type, subtype"):
        flow_report(s, Scope(), breakdown="colour")


def test_funnel_counts_journeys_reaching_and_moving_on(db, data):
    with db.transaction() as s:
        steps = journey_funnel(s, MARCH_APRIL)
    assert [(st.stage, st.reached, st.moved_on) for st in steps] == [
        ("information", 3, 2),  # A, B, J reached; A and B have an advice dossier
        ("advice", 2, 1),  # A, B (through the subtype); A went on to project design
        ("project_design", 2, 0),  # A, J
        ("execution", 1, 0),  # I
        ("follow_up", 0, None),
    ]
    assert steps[0].share == pytest.approx(2 / 3)
    assert steps[4].share is None


def test_funnel_follows_the_first_dossiers_filters(db, data):
    with db.transaction() as s:
        steps = journey_funnel(s, Scope(start=MARCH_APRIL.start, end=MARCH_APRIL.end, dossier_type="execution"))
        before = journey_funnel(s, Scope(end=at("2026-03-01 00:00")))
    assert [(st.reached, st.moved_on) for st in steps] == [(0, 0), (0, 0), (0, 0), (1, 0), (0, None)]
    assert [(st.reached, st.moved_on) for st in before] == [(0, 0), (1, 0), (0, 0), (0, 0), (0, None)]
