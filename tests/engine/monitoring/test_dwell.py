"""Dwell times against hand-built phase rows with known answers: medians of odd and even counts,
the 90th percentile interpolated as PostgreSQL's percentile_cont does (the SQLite path must give
the same numbers), the period applying to when a phase was left, filters and breakdowns.

``dwell_times`` reads the whole months from the histogram (engine/monitoring/dwell_rollup.py):
its medians and percentiles are checked within the bucket precision (2 %), its counts exactly;
``dwell_times_exact`` must give the exact figures."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.db import Database
from engine.monitoring.dwell import DwellRow, dwell_times, dwell_times_exact, percentile_cont
from engine.monitoring.filters import Scope
from engine.workflow.models import InstanceStatus
from tests.engine.monitoring.board_data import BoardData

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
PERIOD = Scope(start=START, end=END)


def near(value: float) -> object:
    """Within the histogram's precision (buckets 2 % wide; about 1 % in practice)."""
    return pytest.approx(value, rel=0.02)


def at(day: float) -> dt.datetime:
    return START + dt.timedelta(days=day)


@pytest.fixture
def dwell_db(db: Database) -> dict[str, int]:
    """Loan "request" left in the period after 1, 2, 3, 4 and 10 days (odd count; subtype rmp for
    the first three, project fosster for 2 and 10); loan "analysis" left after 1 … 10 days (even
    count); rows that must not count: left before or after the period, not left, deactivated."""
    with db.transaction() as session:
        data = BoardData(session)
        rmp = data.subtype("loan", "rmp")
        for days, subtype, project in ((1, rmp, None), (2, rmp, "fosster"), (3, rmp, None), (4, None, None),
                                       (10, None, "fosster")):
            data.dossier("loan", [("request", at(20)), ("analysis", at(20 + days))], subtype=subtype, project=project)
        for days in range(1, 11):
            # closed dossiers count too: their history is what was spent
            data.dossier("loan", [("analysis", at(5)), ("decision", at(5 + days)), ("done", at(5 + days))],
                         status=InstanceStatus.COMPLETED)
        data.dossier("loan", [("request", at(-30)), ("analysis", at(-1))])  # left before the period
        data.dossier("loan", [("request", at(80)), ("analysis", at(95))])  # left after it
        data.dossier("loan", [("request", at(-100))])  # not left
        data.dossier("loan", [("request", at(10)), ("analysis", at(11))], active=False)
        data.dossier("information", [("request", at(30)), ("file", at(30.25))])
        return {"rmp": rmp.id}


def _key(rows: list[DwellRow]) -> dict[tuple[str, str, object], DwellRow]:
    return {(r.dossier_type, r.phase, r.group): r for r in rows}


@pytest.mark.parametrize("exact", [False, True])
def test_median_and_p90_per_type_and_phase(db: Database, dwell_db: dict[str, int], exact: bool) -> None:
    with db.transaction() as session:
        rows = (dwell_times_exact if exact else dwell_times)(session, PERIOD)
    if exact:  # the exact figures, to the last digit
        request = _key(rows)[("loan", "request", None)]
        assert (request.median_days, request.p90_days) == (pytest.approx(3), pytest.approx(7.6))
        assert _key(rows)[("loan", "analysis", None)].p90_days == pytest.approx(9.1)
    assert [(r.dossier_type, r.phase) for r in rows] == [
        ("information", "request"), ("loan", "request"), ("loan", "analysis"), ("loan", "decision")]
    by = _key(rows)
    request = by[("loan", "request", None)]
    assert request.count == 5
    assert request.median_days == near(3)  # 1 2 [3] 4 10
    assert request.p90_days == near(7.6)  # position 3.6: 4 + 0.6 * (10 - 4)
    analysis = by[("loan", "analysis", None)]
    assert analysis.count == 10
    assert analysis.median_days == near(5.5)  # even count: (5 + 6) / 2
    assert analysis.p90_days == near(9.1)  # position 8.1: 9 + 0.1 * (10 - 9)
    decision = by[("loan", "decision", None)]  # left at once for done
    assert (decision.count, decision.median_days, decision.p90_days) == (10, 0, 0)
    info = by[("information", "request", None)]
    assert (info.count, info.median_days, info.p90_days) == (1, near(0.25), near(0.25))


def test_the_period_is_when_the_phase_was_left(db: Database, dwell_db: dict[str, int]) -> None:
    with db.transaction() as session:
        everything = _key(dwell_times(session, Scope()))
        after = _key(dwell_times(session, Scope(start=END)))
        before = _key(dwell_times(session, Scope(end=START)))
    assert everything[("loan", "request", None)].count == 7
    assert after[("loan", "request", None)].count == 1
    assert after[("loan", "request", None)].median_days == near(15)
    assert before[("loan", "request", None)].median_days == near(29)
    assert ("loan", "analysis", None) not in after


def test_filters(db: Database, dwell_db: dict[str, int]) -> None:
    with db.transaction() as session:
        info = dwell_times(session, Scope(start=START, end=END, dossier_type="information"))
        rmp = dwell_times(session, Scope(start=START, end=END, subtype_id=dwell_db["rmp"]))
        fosster = dwell_times(session, Scope(start=START, end=END, project="fosster"))
    assert [(r.dossier_type, r.phase, r.count) for r in info] == [("information", "request", 1)]
    assert [(r.phase, r.count, r.median_days) for r in rmp] == [("request", 3, near(2))]
    assert [(r.phase, r.count, r.median_days, r.p90_days) for r in fosster] == [
        ("request", 2, near(6), near(9.2))]


def test_breakdown_per_subtype_and_per_project(db: Database, dwell_db: dict[str, int]) -> None:
    rmp = dwell_db["rmp"]
    with db.transaction() as session:
        per_subtype = _key(dwell_times(session, PERIOD, by="subtype"))
        per_project = _key(dwell_times(session, PERIOD, by="project"))
    assert per_subtype[("loan", "request", rmp)].count == 3
    assert per_subtype[("loan", "request", rmp)].p90_days == near(2.8)
    assert per_subtype[("loan", "request", None)].count == 2
    assert per_subtype[("loan", "request", None)].median_days == near(7)
    assert per_subtype[("loan", "analysis", None)].count == 10
    assert per_project[("loan", "request", "fosster")].count == 2
    assert per_project[("loan", "request", "fosster")].median_days == near(6)
    assert per_project[("loan", "request", None)].count == 3
    # a type's groups come together, the "none" group last, phases in flow order within a group
    keys = [(r.dossier_type, r.group, r.phase) for r in dwell_times_sorted(per_subtype)]
    assert keys.index(("loan", rmp, "request")) < keys.index(("loan", None, "request")) < keys.index(
        ("loan", None, "analysis"))


def dwell_times_sorted(by_key: dict[tuple[str, str, object], DwellRow]) -> list[DwellRow]:
    return list(by_key.values())  # dicts keep the order dwell_times returned


def test_an_unknown_breakdown_is_refused(db: Database) -> None:
    with db.transaction() as session, pytest.raises(ValueError, match="phase, subtype, project"):
        dwell_times(session, PERIOD, by="queue")  # type: ignore[arg-type]


@pytest.mark.parametrize(("values", "fraction", "expected"), [
    ([], 0.5, None), ([7.0], 0.9, 7.0), ([1.0, 3.0], 0.5, 2.0), ([1.0, 2.0, 3.0, 4.0, 10.0], 0.9, 7.6),
    ([float(v) for v in range(1, 11)], 0.9, 9.1), ([float(v) for v in range(1, 11)], 1.0, 10.0),
])
def test_percentile_cont_interpolates_like_postgresql(values: list[float], fraction: float,
                                                       expected: float | None) -> None:
    assert percentile_cont(values, fraction) == (pytest.approx(expected) if expected is not None else None)
