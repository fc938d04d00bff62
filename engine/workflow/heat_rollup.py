"""The heat map's roll-up: closed visits added up per (version, element) by a periodic job, so
that the heat map of a version with 100,000 instances reads a few dozen rows instead of
aggregating a million visits at each request (issue 5 §7: under 300 ms; docs/benchmarks.md).

``element_visit_totals`` holds, per version and element, the visits closed before the watermark
(``rollup_watermarks`` row ``element_visits``): how many completed and the sum of their
durations. :func:`heat_map` adds at request time, in one statement (one snapshot, so a roll-up
committing meanwhile is never counted twice nor missed), what the totals do not hold yet: the
visits closed since the watermark (``ix_element_visits_closed``, a range on ``left_at``) and the
open visits (``ix_element_visits_waiting``).

:func:`roll_up_visits` (the beat job ``guichet.roll_up_visits``, engine/jobs.py) adds the visits
closed in ``[watermark, now - margin)`` and moves the watermark to ``now - margin``. The margin
must be longer than any transaction: a visit's ``left_at`` is the time of the save, and the row
becomes visible only at the commit, so a visit closed just before the job's ``now`` may not be
committed yet; it is rolled up by a later run, and the heat map counts it live meanwhile.
A closed visit never changes again (the engine closes only open ones), which is what makes adding
it once enough. Deleting an instance (cascading to its visits) does not take them out of the
totals.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.db import UTCDateTime
from engine.workflow.models import ElementVisit, ElementVisitTotal, RollupWatermark, VisitOutcome

log = logging.getLogger(__name__)

WATERMARK = "element_visits"  # the rollup_watermarks row of this roll-up
MARGIN = dt.timedelta(minutes=5)  # longer than any transaction that closes visits
BEAT_INTERVAL_S = 300.0  # the beat job's period (engine/jobs.py)
# "no watermark yet": every closed visit is still to be counted live
BEGINNING = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class HeatCell:
    bpmn_id: str
    passed: int  # visits that completed
    waiting: int  # visits open now
    avg_seconds: float | None  # mean time from entered to left over completed visits


@dataclass(frozen=True)
class RollupRun:
    """What one :func:`roll_up_visits` did: the watermark before and after, and how many
    (version, element) totals it created or updated (0 when there was nothing to add)."""

    since: dt.datetime | None
    upto: dt.datetime
    cells: int


def _seconds(session: Session) -> Any:
    """A visit's duration in seconds, as a double, on either backend."""
    visit = ElementVisit
    if session.get_bind().dialect.name == "postgresql":
        return func.date_part("epoch", visit.left_at - visit.entered_at)
    # SQLite keeps datetimes as text: julian days, in seconds
    return (func.julianday(visit.left_at) - func.julianday(visit.entered_at)) * 86400.0


def _insert(session: Session) -> Any:
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)


def _lock_watermark(session: Session) -> dt.datetime | None:
    """The watermark, its row created if missing and locked until the end of the transaction
    (FOR UPDATE on PostgreSQL; SQLite has one writer at a time, which the INSERT makes us), so a
    second run at the same moment waits and then finds the watermark already moved."""
    session.execute(_insert(session)(RollupWatermark).values(name=WATERMARK, upto=None).on_conflict_do_nothing())
    return session.scalar(select(RollupWatermark.upto).where(RollupWatermark.name == WATERMARK).with_for_update())


def roll_up_visits(session: Session, now: dt.datetime | None = None, margin: dt.timedelta = MARGIN) -> RollupRun:
    """Add the visits closed in ``[watermark, now - margin)`` to ``element_visit_totals`` (one
    grouped INSERT … SELECT … ON CONFLICT DO UPDATE) and move the watermark to ``now - margin``.

    Idempotent: a second run adds only what closed since the first one's upper bound. Runs in the
    caller's transaction; the watermark row stays locked until it ends."""
    if margin < dt.timedelta(0):
        raise ValueError(f"The roll-up margin must not be negative (got {margin}).")
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("Give the roll-up's 'now' with a time zone (UTC), not a naive datetime.")
    upto = now - margin
    since = _lock_watermark(session)
    if since is not None and upto <= since:
        return RollupRun(since, since, 0)
    visit, total = ElementVisit, ElementVisitTotal
    completed = visit.outcome == VisitOutcome.COMPLETED.value
    window = [visit.left_at.is_not(None), visit.left_at < upto]
    if since is not None:
        window.append(visit.left_at >= since)
    closed = (
        select(
            visit.process_version_id,
            visit.bpmn_id,
            func.count().filter(completed),
            func.coalesce(func.sum(_seconds(session)).filter(completed), 0.0),
        )
        .where(*window)
        .group_by(visit.process_version_id, visit.bpmn_id)
    )
    insert = _insert(session)(total).from_select(["process_version_id", "bpmn_id", "passed", "seconds"], closed)
    insert = insert.on_conflict_do_update(
        index_elements=[total.process_version_id, total.bpmn_id],
        set_={"passed": total.passed + insert.excluded.passed, "seconds": total.seconds + insert.excluded.seconds},
    )
    # RETURNING: the driver's rowcount of an upsert is not reliable on every backend
    cells = len(session.execute(insert.returning(total.bpmn_id)).all())
    session.execute(
        RollupWatermark.__table__.update().where(RollupWatermark.name == WATERMARK).values(upto=upto)
    )
    log.info("element visits rolled up from %s to %s: %s element total(s)", since, upto, cells)
    return RollupRun(since, upto, cells)


def heat_map(session: Session, version_id: int) -> dict[str, HeatCell]:
    """Per element of one version: visits completed, visits open now, mean completed duration.

    The roll-up's totals + the visits closed since its watermark + the open visits, summed per
    element in one statement (after a primary-key read of the watermark). Equal to aggregating
    every visit of the version (an element whose visits were all cancelled appears with nothing
    passed and no mean)."""
    visit, total = ElementVisit, ElementVisitTotal
    completed = visit.outcome == VisitOutcome.COMPLETED.value
    watermark = select(RollupWatermark.upto).where(RollupWatermark.name == WATERMARK)
    # The watermark is read twice. As a value first, so that PostgreSQL plans the live part on
    # a known range (with only the subquery it assumes a third of the version and scans it all);
    # then again inside the statement, in the same snapshot as the totals: a roll-up that
    # committed in between moved it forward, and the visits it added are not read live again.
    known = session.scalar(watermark) or BEGINNING
    since = func.coalesce(watermark.scalar_subquery(), literal(BEGINNING, UTCDateTime()))
    rolled = select(
        total.bpmn_id.label("bpmn_id"),
        total.passed.label("passed"),
        total.seconds.label("seconds"),
        literal(0).label("waiting"),
    ).where(total.process_version_id == version_id)
    recent = (
        select(
            visit.bpmn_id,
            func.count().filter(completed),
            func.sum(_seconds(session)).filter(completed),
            literal(0),
        )
        .where(visit.process_version_id == version_id, visit.left_at >= known, visit.left_at >= since)
        .group_by(visit.bpmn_id)
    )
    waiting = (
        select(visit.bpmn_id, literal(0), literal(None, Float()), func.count())
        .where(visit.process_version_id == version_id, visit.left_at.is_(None))
        .group_by(visit.bpmn_id)
    )
    parts = union_all(rolled, recent, waiting).subquery()
    query = select(
        parts.c.bpmn_id, func.sum(parts.c.passed), func.sum(parts.c.waiting), func.sum(parts.c.seconds)
    ).group_by(parts.c.bpmn_id)
    cells = {}
    for bpmn_id, passed, open_now, seconds in session.execute(query):
        passed = int(passed or 0)
        cells[bpmn_id] = HeatCell(
            bpmn_id=bpmn_id,
            passed=passed,
            waiting=int(open_now or 0),
            avg_seconds=float(seconds) / passed if passed else None,
        )
    return cells
