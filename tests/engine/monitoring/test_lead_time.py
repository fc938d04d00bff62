"""Lead time of Information dossiers per month of the request: known counts, medians and p90
(percentile_cont on PostgreSQL, the same interpolation in Python on SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.db import Database
from engine.monitoring.filters import Scope
from engine.monitoring.lead_time import LeadTimeMonth, lead_times, percentile_cont, scope_dates
from tests.engine.monitoring import reports_support as data


def utc(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=dt.UTC)


@pytest.fixture
def january_and_february(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        first = data.subtype(session, "information", "first")
        # January: 0, 1, 2 and 10 days -> median 1.5, p90 2 + 0.7 * 8 = 7.6
        data.information(session, "2026-01-05", "2026-01-05", subtype_id=first.id, project="fosster")
        data.information(session, "2026-01-10", "2026-01-11", subtype_id=first.id)
        data.information(session, "2026-01-20", "2026-01-22", project="fosster")
        data.information(session, "2026-01-31", "2026-02-10")  # counted in the month of the request
        # February: 3 days only
        data.information(session, "2026-02-02", "2026-02-05", project="fosster")
        # not counted: no first action yet, deactivated, another type, outside the period
        data.information(session, "2026-01-15", None)
        data.information(session, "2026-01-16", "2026-01-30", active=False)
        data.dossier(session, "advice", created="2026-01-17",
                     facts={"request_date": dt.date(2026, 1, 17), "first_action_date": dt.date(2026, 3, 1)})
        data.information(session, "2025-12-31", "2026-01-02")
        data.information(session, "2026-03-01", "2026-03-02")
        return {"first": first.id}


def test_median_and_p90_per_month_of_the_request(db: Database, january_and_february: dict[str, int]) -> None:
    with db.transaction() as session:
        months = lead_times(session, Scope(start=utc("2026-01-01"), end=utc("2026-03-01")))
    assert months == [
        LeadTimeMonth(dt.date(2026, 1, 1), 4, 1.5, pytest.approx(7.6)),
        LeadTimeMonth(dt.date(2026, 2, 1), 1, 3.0, 3.0),
    ]


def test_subtype_and_project_filters(db: Database, january_and_february: dict[str, int]) -> None:
    period = {"start": utc("2026-01-01"), "end": utc("2026-03-01")}
    with db.transaction() as session:
        by_subtype = lead_times(session, Scope(subtype_id=january_and_february["first"], **period))
        by_project = lead_times(session, Scope(project="fosster", **period))
        # the type filter of the page does not hide Information dossiers: this figure is theirs
        typed = lead_times(session, Scope(dossier_type="advice", **period))
    assert [(m.month, m.count, m.median_days, m.p90_days) for m in by_subtype] == [
        (dt.date(2026, 1, 1), 2, 0.5, pytest.approx(0.9))]
    assert [(m.month, m.count, m.median_days) for m in by_project] == [
        (dt.date(2026, 1, 1), 2, 1.0), (dt.date(2026, 2, 1), 1, 3.0)]
    assert [m.count for m in typed] == [4, 1]


def test_unbounded_period_keeps_every_month(db: Database, january_and_february: dict[str, int]) -> None:
    with db.transaction() as session:
        months = lead_times(session, Scope())
    assert [(m.month, m.count) for m in months] == [
        (dt.date(2025, 12, 1), 1), (dt.date(2026, 1, 1), 4), (dt.date(2026, 2, 1), 1), (dt.date(2026, 3, 1), 1)]
    assert months[0].median_days == 2.0


def test_nothing_to_report(db: Database) -> None:
    with db.transaction() as session:
        assert lead_times(session, Scope()) == []


def test_percentile_cont_interpolates_like_postgresql() -> None:
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([4], 0.9) == 4.0
    assert percentile_cont([1, 2, 3, 4], 0.5) == 2.5
    assert percentile_cont([10, 0, 2, 1], 0.9) == pytest.approx(7.6)


def test_scope_dates_include_the_day_of_an_end_that_is_not_midnight() -> None:
    assert scope_dates(Scope(start=utc("2026-01-01"), end=utc("2026-02-01"))) == (
        dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    noon = dt.datetime(2026, 2, 3, 12, tzinfo=dt.UTC)
    assert scope_dates(Scope(start=noon, end=noon)) == (dt.date(2026, 2, 3), dt.date(2026, 2, 4))
