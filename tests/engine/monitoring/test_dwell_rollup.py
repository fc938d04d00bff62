"""The dwell-time rollup (engine/monitoring/dwell_rollup.py): kept by record_phase through the
real engine, moved when a dossier is deactivated or its subtype or project changes, rebuilt to
the very same rows from the phase history, and the dwell times read from it agreeing with the
exact computation (counts exactly, median and 90th percentile within the bucket precision) over
month-aligned and unaligned periods, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest
from sqlalchemy import select, update

from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.dossier_info import change_dossier_info
from engine.cases.dossiers import delete_dossier, open_dossier, set_dossier_active
from engine.cases.models import Dossier, DossierPhase, DossierType
from engine.db import Database
from engine.jobs import celery
from engine.monitoring import dwell_rollup as rollup
from engine.monitoring.dwell import dwell_times, dwell_times_exact, histogram_percentile, split_period
from engine.monitoring.dwell_rollup import DwellHistogram, rebuild_dwell_histograms
from engine.monitoring.filters import Scope
from engine.workflow.models import InstanceStatus
from tests.cli.test_cli import Runner, _app
from tests.engine.cases.support import complete_next, deploy_all, make_engine
from tests.engine.monitoring.board_data import BoardData
from webapp.cli import cli

NOW = dt.datetime(2026, 11, 15, 12, tzinfo=dt.UTC)
FIRST = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def histogram(db: Database) -> dict[tuple[object, ...], int]:
    """Every non-empty histogram row, all grains."""
    with db.transaction() as session:
        rows = session.execute(select(DwellHistogram.grain, DwellHistogram.month, DwellHistogram.dossier_type,
                                      DwellHistogram.phase, DwellHistogram.subtype_id, DwellHistogram.project,
                                      DwellHistogram.bucket, DwellHistogram.count))
        return {tuple(row[:-1]): row[-1] for row in rows if row[-1] != 0}


def rebuilt(db: Database, months: list[dt.date] | None = None) -> dict[tuple[object, ...], int]:
    with db.transaction() as session:
        rebuild_dwell_histograms(session, months)
    return histogram(db)


def full_total(db: Database) -> int:
    return sum(count for key, count in histogram(db).items() if key[0] == rollup.GRAIN_FULL)


@pytest.fixture
def history(db: Database) -> dict[str, int]:
    """120 dossiers over ten months of 2026, random but fixed phase durations (minutes to months,
    some zero), subtypes and projects, a few deactivated and a few still in their phase."""
    rng = random.Random(6)
    with db.transaction() as session:
        data = BoardData(session)
        subtypes = [data.subtype("loan", "rmp"), data.subtype("loan", "green"), None]
        for number in range(120):
            dossier_type = rng.choice(["loan", "advice"])
            flow = ["request", "analysis", "decision", "done"] if dossier_type == "loan" else [
                "request", "advice", "customer_survey", "done"]
            moment = FIRST + dt.timedelta(days=rng.uniform(0, 280))
            phases = []
            for phase in flow[:rng.randint(1, len(flow))]:
                phases.append((phase, moment))
                moment += dt.timedelta(seconds=0 if rng.random() < 0.1 else rng.lognormvariate(12, 1.5))
            data.dossier(dossier_type, phases, subtype=rng.choice(subtypes) if dossier_type == "loan" else None,
                         project=rng.choice(["fosster", "condoreno", None]), active=number % 17 != 0,
                         status=InstanceStatus.COMPLETED if phases[-1][0] == "done" else InstanceStatus.WAITING)
        return {"rmp": subtypes[0].id}  # type: ignore[union-attr]


def assert_agree(approx: list, exact: list) -> None:  # type: ignore[type-arg]
    assert [(r.dossier_type, r.phase, r.group, r.count) for r in approx] == [
        (r.dossier_type, r.phase, r.group, r.count) for r in exact]
    for a, e in zip(approx, exact, strict=True):
        # within the bucket's width; zero stays zero
        assert a.median_days == pytest.approx(e.median_days, rel=0.02, abs=1e-6)
        assert a.p90_days == pytest.approx(e.p90_days, rel=0.02, abs=1e-6)


# --------------------------------------------------------------------------- upkeep and rebuild


def test_record_phase_counts_each_phase_left_through_the_real_engine(db: Database) -> None:
    engine = make_engine()
    with db.transaction() as session:
        deploy_all(session, engine)
        user = create_user(session, "anna@guichet.test", "Anna", "Correct-Horse-42", [Role.CASE_WORKER])
        dossier = open_dossier(session, engine, DossierType.LOAN, "Loan for the roof", user_id=user.id)
        instance_id, user_id, dossier_id = dossier.process_instance_id, user.id, dossier.id
    assert histogram(db) == {}  # nothing left yet
    for _ in range(30):
        with db.transaction() as session:
            if complete_next(session, engine, instance_id, user_id) is None:
                break
    with db.transaction() as session:
        left = session.execute(select(DossierPhase.phase, DossierPhase.left_at)
                               .where(DossierPhase.dossier_id == dossier_id, DossierPhase.left_at.is_not(None))).all()
    assert len(left) >= 3
    counted = histogram(db)
    for grain in (rollup.GRAIN_FULL, rollup.GRAIN_SUBTYPE, rollup.GRAIN_PROJECT, rollup.GRAIN_TOTAL):
        assert sum(c for k, c in counted.items() if k[0] == grain) == len(left)
    month = rollup.month_of(left[0][1])
    assert {(k[1], k[2], k[4], k[5]) for k in counted if k[0] == rollup.GRAIN_FULL} == {(month, "loan", 0, "")}
    assert sorted(k[3] for k in counted if k[0] == rollup.GRAIN_TOTAL) == sorted({p for p, _ in left})
    assert rebuilt(db) == counted  # the incremental upkeep and the rebuild agree to the row


def test_rebuild_gives_the_histogram_the_upkeep_built(db: Database, history: dict[str, int]) -> None:
    kept = histogram(db)
    assert len({k[1] for k in kept}) >= 9  # months
    assert rebuilt(db) == kept
    months = [dt.date(2026, 3, 1), dt.date(2026, 7, 1)]
    with db.transaction() as session:  # a month emptied by hand comes back from the phase rows
        session.execute(update(DwellHistogram).where(DwellHistogram.month == months[0]).values(count=99))
    assert rebuilt(db, months) == kept
    with db.transaction() as session:
        assert rebuild_dwell_histograms(session, []) == 0
        with pytest.raises(ValueError, match="months must be dates"):
            rebuild_dwell_histograms(session, ["2026-03"])  # type: ignore[list-item]


def test_deactivation_and_changes_of_subtype_or_project_move_the_dossier(db: Database,
                                                                          history: dict[str, int]) -> None:
    with db.transaction() as session:
        dossier = session.scalars(select(Dossier).join(DossierPhase, DossierPhase.dossier_id == Dossier.id)
                                  .where(Dossier.active.is_(True), Dossier.type == "loan", Dossier.subtype_id.is_(None),
                                         DossierPhase.left_at.is_not(None)).order_by(Dossier.id).limit(1)).one()
        dossier_id = dossier.id
        left = len(session.scalars(select(DossierPhase.id).where(DossierPhase.dossier_id == dossier_id,
                                                                 DossierPhase.left_at.is_not(None))).all())
    before = full_total(db)
    with db.transaction() as session:
        set_dossier_active(session, dossier_id, False, user_id=None)
    assert full_total(db) == before - left
    assert rebuilt(db) == histogram(db)
    with db.transaction() as session:
        set_dossier_active(session, dossier_id, True, user_id=None)
    assert full_total(db) == before
    with db.transaction() as session:
        change_dossier_info(session, dossier_id, source=None, offer_presentation=None, main_project="other",
                            additional_projects=None, user_id=None)
        session.get(Dossier, dossier_id).subtype_id = history["rmp"]  # type: ignore[union-attr]
    kept = histogram(db)
    assert sum(c for k, c in kept.items() if k[0] == rollup.GRAIN_FULL and k[5] == "other") == left
    assert rebuilt(db) == kept


def test_a_deleted_dossier_leaves_the_histogram(db: Database, history: dict[str, int]) -> None:
    engine = make_engine()
    with db.transaction() as session:
        dossier = session.scalars(select(Dossier).join(DossierPhase, DossierPhase.dossier_id == Dossier.id)
                                  .where(Dossier.active.is_(True), Dossier.journey_id.is_(None),
                                         DossierPhase.left_at.is_not(None)).order_by(Dossier.id).limit(1)).one()
        dossier_id = dossier.id
        left = len(session.scalars(select(DossierPhase.id).where(DossierPhase.dossier_id == dossier_id,
                                                                 DossierPhase.left_at.is_not(None))).all())
        has_followers = session.scalar(select(Dossier.id).where(Dossier.journey_id == dossier_id).limit(1))
    assert left and has_followers is None
    before = full_total(db)
    with db.transaction() as session:
        delete_dossier(session, engine, dossier_id, user_id=None)
    assert full_total(db) == before - left
    assert rebuilt(db) == histogram(db)


def test_a_deactivation_outside_the_orm_is_put_right_by_the_rebuild(db: Database, history: dict[str, int]) -> None:
    before = histogram(db)
    with db.transaction() as session:  # e.g. a script: no flush listener sees it
        session.execute(update(Dossier).where(Dossier.type == "advice").values(active=False))
    assert histogram(db) == before
    after = rebuilt(db)
    assert {k[2] for k in after} == {"loan"}
    with db.transaction() as session:
        loans = dwell_times(session, Scope(start=FIRST, end=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)), now=NOW)
    assert {r.dossier_type for r in loans} == {"loan"}


# --------------------------------------------------------------------------- dwell times from the histogram


@pytest.mark.parametrize("by", ["phase", "subtype", "project"])
@pytest.mark.parametrize(("start", "end"), [
    (FIRST, dt.datetime(2026, 11, 1, tzinfo=dt.UTC)),  # month-aligned: all from the histogram
    (dt.datetime(2026, 2, 10, 8, tzinfo=dt.UTC), dt.datetime(2026, 9, 20, 17, tzinfo=dt.UTC)),  # both edges read
    (dt.datetime(2026, 3, 1, tzinfo=dt.UTC), None),  # up to now: the current month read from the rows
    (None, dt.datetime(2026, 6, 3, tzinfo=dt.UTC)),
    (dt.datetime(2026, 4, 5, tzinfo=dt.UTC), dt.datetime(2026, 4, 25, tzinfo=dt.UTC)),  # no whole month: exact
])
def test_the_histogram_agrees_with_the_exact_figures(db: Database, history: dict[str, int], by: str,
                                                     start: dt.datetime | None, end: dt.datetime | None) -> None:
    scope = Scope(start=start, end=end)
    with db.transaction() as session:
        approx = dwell_times(session, scope, by=by, now=NOW)  # type: ignore[arg-type]
        exact = dwell_times_exact(session, scope, by=by)  # type: ignore[arg-type]
    assert sum(r.count for r in exact) > (3 if start and end and end - start < dt.timedelta(days=31) else 20)
    assert_agree(approx, exact)


def test_filters_read_the_right_grain(db: Database, history: dict[str, int]) -> None:
    start, end = dt.datetime(2026, 2, 1, tzinfo=dt.UTC), dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    for scope, by in ((Scope(start=start, end=end, subtype_id=history["rmp"]), "phase"),
                      (Scope(start=start, end=end, project="fosster"), "subtype"),
                      (Scope(start=start, end=end, project="condoreno", subtype_id=history["rmp"]), "project"),
                      (Scope(start=start, end=end, dossier_type="advice"), "project")):
        with db.transaction() as session:
            exact = dwell_times_exact(session, scope, by=by)  # type: ignore[arg-type]
            assert exact, scope
            assert_agree(dwell_times(session, scope, by=by, now=NOW), exact)  # type: ignore[arg-type]


def test_the_period_is_split_into_whole_months_and_edges() -> None:
    split = split_period(Scope(start=dt.datetime(2025, 11, 1, tzinfo=dt.UTC), end=dt.datetime(2026, 11, 1,
                                                                                              tzinfo=dt.UTC)), NOW)
    assert split is not None and (split.first_month, split.end_month, split.edges) == (
        dt.date(2025, 11, 1), dt.date(2026, 11, 1), ())
    last_30_days = split_period(Scope(start=NOW - dt.timedelta(days=30)), NOW)
    assert last_30_days is None  # no whole month: computed exactly
    split = split_period(Scope(start=dt.datetime(2026, 1, 15, tzinfo=dt.UTC)), NOW)
    assert split is not None and split.first_month == dt.date(2026, 2, 1) and split.end_month == dt.date(2026, 11, 1)
    assert split.edges == ((dt.datetime(2026, 1, 15, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC)),
                           (dt.datetime(2026, 11, 1, tzinfo=dt.UTC), None))


@pytest.mark.parametrize("seconds", [0.5, 59, 61, 3600, 86400 * 3.3, 86400 * 400, 86400 * 3650])
def test_a_bucket_holds_its_durations_and_is_two_percent_wide(seconds: float) -> None:
    bucket = rollup.bucket_of(seconds)
    low, high = rollup.bucket_bounds(bucket)
    assert low <= seconds < high
    assert (high + 60) / (low + 60) == pytest.approx(1.02)
    assert rollup.bucket_of(0) == 0 and rollup.bucket_bounds(0) == (0.0, 0.0)
    assert rollup.bucket_of(-5) == 0


def test_histogram_percentile_interpolates_like_percentile_cont() -> None:
    assert histogram_percentile([], 0.5) is None
    assert histogram_percentile([(0, 4)], 0.9) == 0
    values = [86400 * d for d in (1, 2, 3, 4, 10)]
    buckets = sorted({rollup.bucket_of(v): values.count(v) for v in values}.items())
    p90 = histogram_percentile(buckets, 0.9)
    assert p90 is not None and p90 / 86400 == pytest.approx(7.6, rel=0.02)
    assert math.isclose(histogram_percentile([(5, 1), (9, 0)], 0.5) or 0, sum(rollup.bucket_bounds(5)) / 2)


# --------------------------------------------------------------------------- nightly job and CLI


def test_the_nightly_job_rebuilds_the_last_two_months(db: Database, history: dict[str, int]) -> None:
    rollup.configure()
    entry = celery.conf.beat_schedule[rollup.BEAT_ENTRY]
    assert entry["task"] == "guichet.rebuild_dwell_histograms"
    assert rollup.recent_months(dt.datetime(2026, 1, 10, tzinfo=dt.UTC)) == [dt.date(2025, 12, 1),
                                                                                dt.date(2026, 1, 1)]
    kept = histogram(db)
    with db.transaction() as session:
        session.execute(update(DwellHistogram).where(DwellHistogram.month.in_(
            [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)])).values(count=7))
    assert rollup.rebuild_recent(db, dt.datetime(2026, 10, 2, tzinfo=dt.UTC)) > 0
    repaired = histogram(db)
    recent = (dt.date(2026, 9, 1), dt.date(2026, 10, 1))
    assert {k: c for k, c in repaired.items() if k[1] in recent} == {k: c for k, c in kept.items() if k[1] in recent}
    assert {c for k, c in repaired.items() if k[1] == dt.date(2026, 8, 1)} == {7}  # older: not touched


def test_the_cli_rebuilds_and_says_what_to_fix(settings: object, db: Database, history: dict[str, int]) -> None:
    kept = histogram(db)
    with db.transaction() as session:
        session.execute(DwellHistogram.__table__.delete())
    run = Runner(_app(settings, db))  # type: ignore[arg-type]
    result = run("monitoring", "rebuild-dwell", "--month", "2026-03", "--month", "2026-04")
    assert "Dwell histogram rebuilt for 2026-03, 2026-04:" in result.output
    assert {k[1] for k in histogram(db)} == {dt.date(2026, 3, 1), dt.date(2026, 4, 1)}
    assert "Dwell histogram rebuilt for all months:" in run("monitoring", "rebuild-dwell").output
    assert histogram(db) == kept
    bad = run.runner.invoke(cli, ["monitoring", "rebuild-dwell", "--month", "March"])
    assert bad.exit_code != 0 and "'March' is not a month: write it as 2026-01." in bad.output
