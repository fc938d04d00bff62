"""The dwell-time rollup: ``dwell_histograms``, a histogram of the time spent in each phase per
month the phase was *left*, so that a year of dwell times is a sum over a few thousand rows
instead of a sort of millions of phase rows (issue 6 §9: under 500 ms over one year).

A duration goes to a log-scale bucket (:func:`bucket_of`): bucket 0 holds the phases left at
once (exactly zero), bucket ``b >= 1`` the durations ``d`` (in minutes) with
``floor(ln(1 + d) / ln(1.02)) + 1 == b``; each bucket is 2 % wide, so a median or a percentile
read from it (interpolated inside the bucket, engine/monitoring/dwell.py) is within about 1 %
of the exact one. Counts are exact.

Each (month, type, phase, bucket) is kept at four grains, so that a report reads only the rows
it needs: per subtype and project (:data:`GRAIN_FULL`), per subtype only, per project only, and
for all (``subtype_id`` -1 / ``project`` '*' mean "all"; 0 / '' mean "none set": unique keys treat
NULL as distinct on PostgreSQL).

Kept up to date in the transaction that leaves a phase: :func:`engine.cases.phases.record_phase`
calls :func:`count_left_phases` (one upsert). A flush listener (:func:`_follow_dossier_changes`)
moves a dossier's phases out of the histogram when it is deactivated, back in when it is
reactivated, and from the old to the new group when its subtype or project changes (a few rows
per dossier, read by the ``dossier_id`` index). What else alters history (a backfill, a row edited
or deleted by hand) is put right by :func:`rebuild_dwell_histograms`: the CLI
``guichet monitoring rebuild-dwell`` and the nightly beat job ``guichet.rebuild_dwell_histograms``
(the last two months).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import Float

from engine.cases.models import Dossier, DossierPhase
from engine.db import Base, Database, utcnow
from engine.jobs import celery, runtime

log = logging.getLogger(__name__)

RATIO = 1.02  # each bucket is 2 % wider than the one before: ~1 % error on a percentile
LOG_RATIO = math.log(RATIO)

GRAIN_FULL, GRAIN_SUBTYPE, GRAIN_PROJECT, GRAIN_TOTAL = 0, 1, 2, 3
ALL_SUBTYPES, NO_SUBTYPE = -1, 0
ALL_PROJECTS, NO_PROJECT = "*", ""

BEAT_ENTRY = "rebuild-dwell-histograms"
BEAT_HOUR_UTC = 2  # nightly, 02:30 UTC
REBUILT_MONTHS = 2  # the nightly job rebuilds the current and the previous month


class DwellHistogram(Base):
    """How many phase rows of a group, left in ``month``, lasted a duration in ``bucket``."""

    __tablename__ = "dwell_histograms"
    __table_args__ = (
        # On PostgreSQL the key also carries the count, so that a report is an index-only scan of
        # one grain over its months (about a third faster than reading the table).
        PrimaryKeyConstraint("grain", "month", "dossier_type", "phase", "subtype_id", "project", "bucket",
                             name="pk_dwell_histograms", postgresql_include=["count"]),
    )

    grain: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[dt.date] = mapped_column(Date)  # first day of the month left (UTC)
    dossier_type: Mapped[str] = mapped_column(String(30))
    phase: Mapped[str] = mapped_column(String(40))
    subtype_id: Mapped[int]  # 0: none, -1: all (grains 2 and 3)
    project: Mapped[str] = mapped_column(String(40))  # '': none, '*': all (grains 1 and 3)
    bucket: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int]


# --------------------------------------------------------------------------- buckets


def bucket_of(seconds: float) -> int:
    """The bucket of a duration in seconds (0 for none; a negative one, bad data, counts as 0)."""
    if seconds <= 0:
        return 0
    return math.floor(math.log(1 + seconds / 60) / LOG_RATIO) + 1


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """The durations in seconds a bucket holds, [low, high)."""
    if bucket <= 0:
        return 0.0, 0.0
    return 60 * (RATIO ** (bucket - 1) - 1), 60 * (RATIO ** bucket - 1)


def bucket_sql(seconds: Any) -> Any:
    """:func:`bucket_of` in SQL (PostgreSQL: ``seconds`` a double precision expression), the same
    floating-point operations in the same order so that both give the same bucket."""
    return case((seconds <= 0, 0),
                else_=cast(func.floor(func.ln(1 + seconds / 60.0) / func.ln(literal(RATIO, Float))), SmallInteger) + 1)


def month_of(moment: dt.datetime) -> dt.date:
    moment = moment.astimezone(dt.UTC)
    return dt.date(moment.year, moment.month, 1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def month_start_utc(month: dt.date) -> dt.datetime:
    return dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- upkeep

# (month, dossier type, phase, subtype id (0 none), project ('' none), bucket)
Key = tuple[dt.date, str, str, int, str, int]


def histogram_key(dossier_type: str, subtype_id: int | None, project: str | None, phase: str,
                  reached_at: dt.datetime, left_at: dt.datetime) -> Key:
    return (month_of(left_at), dossier_type, phase, subtype_id or NO_SUBTYPE, project or NO_PROJECT,
            bucket_of((left_at - reached_at).total_seconds()))


def _grains(key: Key) -> list[tuple[int, dt.date, str, str, int, str, int]]:
    month, dossier_type, phase, subtype_id, project, bucket = key
    return [(GRAIN_FULL, month, dossier_type, phase, subtype_id, project, bucket),
            (GRAIN_SUBTYPE, month, dossier_type, phase, subtype_id, ALL_PROJECTS, bucket),
            (GRAIN_PROJECT, month, dossier_type, phase, ALL_SUBTYPES, project, bucket),
            (GRAIN_TOTAL, month, dossier_type, phase, ALL_SUBTYPES, ALL_PROJECTS, bucket)]


COLUMNS = ("grain", "month", "dossier_type", "phase", "subtype_id", "project", "bucket")


@lru_cache(maxsize=4)
def _add_statement(dialect: str) -> Any:
    """The histogram upsert of one dialect, built once (see engine/monitoring/facts.py)."""
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_(DwellHistogram)
    return statement.on_conflict_do_update(
        index_elements=[getattr(DwellHistogram, c) for c in COLUMNS],
        set_={"count": DwellHistogram.count + statement.excluded.count})


def add_counts(connection: Connection | Session, counts: Counter[Key]) -> None:
    """Add ``counts`` (negative to take away) to the histogram at every grain: INSERT … ON
    CONFLICT DO UPDATE on both databases, rows in key order (two transactions touching the same
    buckets lock them in the same order)."""
    totals: Counter[tuple[Any, ...]] = Counter()
    for key, count in counts.items():
        for row in _grains(key):
            totals[row] += count
    rows = [dict(zip(COLUMNS, row, strict=True), count=count) for row, count in sorted(totals.items()) if count]
    if not rows:
        return
    core = connection.connection() if isinstance(connection, Session) else connection
    core.execute(_add_statement(core.dialect.name), rows)


def count_left_phases(session: Session, dossier: Dossier, left: Iterable[tuple[str, dt.datetime]],
                      left_at: dt.datetime) -> None:
    """``record_phase`` hook: the dossier's rows ``(phase, reached_at)`` were just left at
    ``left_at``. A deactivated dossier is not counted (as :func:`rebuild_dwell_histograms`)."""
    if not dossier.active:
        return
    counts = Counter(histogram_key(dossier.type, dossier.subtype_id, dossier.main_project, phase, reached_at, left_at)
                     for phase, reached_at in left)
    add_counts(session, counts)


def _before(attrs: Any, name: str) -> Any:
    """The value an attribute had before this flush (its current one when unchanged)."""
    history = getattr(attrs, name).history
    if history.deleted:
        return history.deleted[0]
    return getattr(attrs, name).value


def _follow_dossier_changes(session: Session, _flush_context: object) -> None:
    """After a flush that (de)activated a dossier or changed its type, subtype or project, move
    its left phases in the histogram: out of the old group (if it was counted), into the new one
    (if it is active). Cheap: a handful of rows per dossier, read by ``dossier_id``."""
    moves: dict[int, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
    for obj in session.dirty:
        if not isinstance(obj, Dossier) or obj.id is None:
            continue
        attrs = inspect(obj).attrs
        names = ("active", "type", "subtype_id", "main_project")
        if not any(getattr(attrs, name).history.has_changes() for name in names):
            continue
        old = tuple(_before(attrs, name) for name in names)
        new = (obj.active, obj.type, obj.subtype_id, obj.main_project)
        if old != new and (old[0] or new[0]):
            moves[obj.id] = (old, new)
    if not moves:
        return
    connection = session.connection()
    rows = connection.execute(select(DossierPhase.dossier_id, DossierPhase.phase, DossierPhase.reached_at,
                                     DossierPhase.left_at)
                              .where(DossierPhase.dossier_id.in_(sorted(moves)), DossierPhase.left_at.is_not(None)))
    counts: Counter[Key] = Counter()
    for dossier_id, phase, reached_at, left_at in rows:
        (was_active, old_type, old_subtype, old_project), (active, new_type, subtype, project) = moves[dossier_id]
        if was_active:
            counts[histogram_key(old_type, old_subtype, old_project, phase, reached_at, left_at)] -= 1
        if active:
            counts[histogram_key(new_type, subtype, project, phase, reached_at, left_at)] += 1
    add_counts(connection, counts)


if not event.contains(Session, "after_flush", _follow_dossier_changes):
    event.listen(Session, "after_flush", _follow_dossier_changes)


# --------------------------------------------------------------------------- rebuild


def _normalise(months: Sequence[dt.date | dt.datetime] | None) -> list[dt.date] | None:
    if months is None:
        return None
    out = set()
    for month in months:
        if isinstance(month, dt.datetime):
            out.add(month_of(month))
        elif isinstance(month, dt.date):
            out.add(dt.date(month.year, month.month, 1))
        else:
            raise ValueError(f"months must be dates, not {month!r}")
    return sorted(out)


def _left_in(months: list[dt.date] | None) -> Any:
    if months is None:
        return DossierPhase.left_at.is_not(None)
    return or_(*(and_(DossierPhase.left_at >= month_start_utc(m), DossierPhase.left_at < month_start_utc(next_month(m)))
                 for m in months))


def _full_grain_postgresql(session: Session, months: list[dt.date] | None) -> None:
    seconds = cast(func.extract("epoch", DossierPhase.left_at) - func.extract("epoch", DossierPhase.reached_at), Float)
    month = cast(func.date_trunc("month", func.timezone("UTC", DossierPhase.left_at)), Date)
    subtype = func.coalesce(Dossier.subtype_id, NO_SUBTYPE)
    project = func.coalesce(Dossier.main_project, NO_PROJECT)
    bucket = bucket_sql(seconds)
    grouped = (select(literal(GRAIN_FULL, SmallInteger), month, Dossier.type, DossierPhase.phase, subtype, project,
                      bucket, func.count())
               .join(Dossier, Dossier.id == DossierPhase.dossier_id)
               .where(_left_in(months), Dossier.active.is_(True))
               .group_by(month, Dossier.type, DossierPhase.phase, subtype, project, bucket))
    session.execute(insert(DwellHistogram).from_select([*COLUMNS, "count"], grouped))


def _full_grain_portable(session: Session, months: list[dt.date] | None) -> None:
    """SQLite (small databases): the rows are read and bucketed in Python, with the very
    function the incremental upkeep uses."""
    rows = session.execute(select(Dossier.type, Dossier.subtype_id, Dossier.main_project, DossierPhase.phase,
                                  DossierPhase.reached_at, DossierPhase.left_at)
                           .join(Dossier, Dossier.id == DossierPhase.dossier_id)
                           .where(_left_in(months), Dossier.active.is_(True)))
    counts = Counter(histogram_key(*row) for row in rows)
    values = [dict(zip(COLUMNS, (GRAIN_FULL, *key), strict=True), count=count) for key, count in sorted(counts.items())]
    for start in range(0, len(values), 5000):
        session.execute(insert(DwellHistogram), values[start:start + 5000])


def _coarser_grains(session: Session, months: list[dt.date] | None) -> None:
    """Grains 1 to 3 summed from the full grain, in SQL valid on both databases."""
    h = DwellHistogram
    for grain, subtype, project in ((GRAIN_SUBTYPE, h.subtype_id, literal(ALL_PROJECTS)),
                                    (GRAIN_PROJECT, literal(ALL_SUBTYPES), h.project),
                                    (GRAIN_TOTAL, literal(ALL_SUBTYPES), literal(ALL_PROJECTS))):
        keys = [h.month, h.dossier_type, h.phase, subtype, project, h.bucket]
        query = select(literal(grain, SmallInteger), *keys, func.sum(h.count)).where(h.grain == GRAIN_FULL)
        if months is not None:
            query = query.where(h.month.in_(months))
        group = [h.month, h.dossier_type, h.phase, h.bucket] + ([h.subtype_id] if grain == GRAIN_SUBTYPE else []) + (
            [h.project] if grain == GRAIN_PROJECT else [])
        session.execute(insert(h).from_select([*COLUMNS, "count"], query.group_by(*group)))


def rebuild_dwell_histograms(session: Session, months: Sequence[dt.date | dt.datetime] | None = None) -> int:
    """Recompute the histogram from ``dossier_phases`` for ``months`` (first days, or any day /
    moment in them; None: all of history), leaving out deactivated dossiers; returns the number
    of full-grain rows written. On PostgreSQL the table is locked against the incremental upkeep
    meanwhile (SHARE ROW EXCLUSIVE: readers go on), so that no phase left during the rebuild is
    lost or counted twice."""
    chosen = _normalise(months)
    if chosen == []:
        return 0
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("LOCK TABLE dwell_histograms IN SHARE ROW EXCLUSIVE MODE"))
    erase = delete(DwellHistogram)
    if chosen is not None:
        erase = erase.where(DwellHistogram.month.in_(chosen))
    session.execute(erase)
    (_full_grain_postgresql if postgres else _full_grain_portable)(session, chosen)
    _coarser_grains(session, chosen)
    written = select(func.count()).select_from(DwellHistogram).where(DwellHistogram.grain == GRAIN_FULL)
    if chosen is not None:
        written = written.where(DwellHistogram.month.in_(chosen))
    return int(session.scalar(written) or 0)


def recent_months(now: dt.datetime | None = None, count: int = REBUILT_MONTHS) -> list[dt.date]:
    """The current month and the ``count - 1`` before it."""
    month = month_of(now or utcnow())
    months = [month]
    for _ in range(count - 1):
        month = month_of(month_start_utc(month) - dt.timedelta(days=1))
        months.append(month)
    return sorted(months)


def rebuild_recent(db: Database, now: dt.datetime | None = None) -> int:
    with db.transaction() as session:
        return rebuild_dwell_histograms(session, recent_months(now))


def configure() -> None:
    """Add the nightly beat entry (called by the composition root after ``jobs.configure``)."""
    from celery.schedules import crontab

    schedule = dict(celery.conf.beat_schedule or {})
    schedule[BEAT_ENTRY] = {"task": "guichet.rebuild_dwell_histograms",
                            "schedule": crontab(hour=BEAT_HOUR_UTC, minute=30)}
    celery.conf.beat_schedule = schedule


@celery.task(name="guichet.rebuild_dwell_histograms")
def rebuild_dwell_histograms_job() -> int:
    """The nightly job: the last two months again, so that a dossier deactivated outside the
    ORM, a backfill or any late correction shows in the dwell times by the next morning."""
    written = rebuild_recent(runtime().db)
    log.info("dwell histograms of the last %s months rebuilt: %s rows", REBUILT_MONTHS, written)
    return written
