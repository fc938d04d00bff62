"""Dwell times (issue 6 part 2): how long dossiers stay in each phase, as the median and the 90th
percentile of ``left_at - reached_at`` over the ``dossier_phases`` rows that *left* their phase
within the period, per dossier type and phase, optionally broken down per subtype or per project.

A row counts in the period it was left, not the one it was reached: a report of last year
speaks of the phases that ended last year, whatever their start, so that the figures of a closed
period never change afterwards. A phase not left yet (the dossier is still in it, or its
process ended there) has no dwell time. Deactivated dossiers are left out, as everywhere in the
monitoring.

On PostgreSQL this is one grouped query (``percentile_cont`` of both fractions at once, over
the partial index on ``left_at``); SQLite has no percentile function, so there the (small)
rows are fetched and :func:`percentile_cont` computes the same interpolation in Python. That
is :func:`dwell_times_exact`.

:func:`dwell_times`, what the page and the reports use, is fast over long periods (issue 6 §9:
one year of 5,000,000 phase rows under 500 ms): the whole months of the period come from the
rollup ``dwell_histograms`` (engine/monitoring/dwell_rollup.py: per month left, log-scale buckets
2 % wide); the partial months at its edges (a custom range not on month boundaries, "last 30
days", and the current month, not over yet) are read from ``dossier_phases`` and bucketed the
same way. The median and the 90th percentile are then read from the cumulative counts,
interpolated inside the bucket: **within about 1 %** of the exact figure (at worst 2 %, the
width of a bucket); durations of exactly zero stay exact; the counts are exact. A period with no
whole month in it (e.g. the last 30 days) is computed exactly. A deactivated dossier leaves the
figures at once (a flush listener), so does a change of subtype or project; other changes of
history (a backfill) show after the nightly rebuild of the last two months, or after
``guichet monitoring rebuild-dwell``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Float, Select, cast, func, literal_column, select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier, DossierPhase, DossierType
from engine.cases.phases import PHASE_FLOWS
from engine.db import utcnow
from engine.monitoring import dwell_rollup as rollup
from engine.monitoring.dwell_rollup import DwellHistogram
from engine.monitoring.filters import Scope

Breakdown = Literal["phase", "subtype", "project"]
BREAKDOWNS: tuple[Breakdown, ...] = ("phase", "subtype", "project")
DAY = 86400.0


def percentile_cont(sorted_values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's ``percentile_cont``: the value at position ``fraction * (n - 1)`` of the
    sorted values, interpolated linearly between its two neighbours (so the median of an even
    count is the mean of the middle two). None for no values."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (position - low) * (sorted_values[high] - sorted_values[low])


@dataclass(frozen=True)
class DwellRow:
    dossier_type: str
    phase: str
    # the subtype id (by="subtype") or project code (by="project"); None: none set, or by="phase"
    group: int | str | None
    count: int
    median_days: float
    p90_days: float


def _group_column(by: Breakdown) -> Any:
    if by == "subtype":
        return Dossier.subtype_id
    if by == "project":
        return Dossier.main_project
    return literal_column("NULL")


def _restrict(query: Select[Any], scope: Scope) -> Select[Any]:
    query = query.where(DossierPhase.left_at.is_not(None), Dossier.active.is_(True))
    if scope.start is not None:
        query = query.where(DossierPhase.left_at >= scope.start)
    if scope.end is not None:
        query = query.where(DossierPhase.left_at < scope.end)
    if scope.dossier_type:
        query = query.where(Dossier.type == scope.dossier_type)
    if scope.subtype_id is not None:
        query = query.where(Dossier.subtype_id == scope.subtype_id)
    if scope.project:
        query = query.where(Dossier.main_project == scope.project)
    return query


def _postgresql(session: Session, scope: Scope, by: Breakdown) -> list[tuple[str, str, Any, int, float, float]]:
    group = _group_column(by).label("grp")
    seconds = func.extract("epoch", DossierPhase.left_at) - func.extract("epoch", DossierPhase.reached_at)
    # both fractions from one sort per group; psycopg returns the float8[] as a list
    quantiles = func.percentile_cont(literal_column("ARRAY[0.5, 0.9]::float8[]")).within_group(seconds)
    query = (select(Dossier.type, DossierPhase.phase, group, func.count(), quantiles)
             .join(Dossier, Dossier.id == DossierPhase.dossier_id))
    if by == "phase":
        query = query.group_by(Dossier.type, DossierPhase.phase)
    else:
        query = query.group_by(Dossier.type, DossierPhase.phase, _group_column(by))
    rows = []
    for dossier_type, phase, grp, count, (median, p90) in session.execute(_restrict(query, scope)):
        rows.append((dossier_type, phase, grp, count, median / DAY, p90 / DAY))
    return rows


def _portable(session: Session, scope: Scope, by: Breakdown) -> list[tuple[str, str, Any, int, float, float]]:
    group = _group_column(by).label("grp")
    query = (select(Dossier.type, DossierPhase.phase, group, DossierPhase.reached_at, DossierPhase.left_at)
             .join(Dossier, Dossier.id == DossierPhase.dossier_id))
    spans: dict[tuple[str, str, Any], list[float]] = defaultdict(list)
    for dossier_type, phase, grp, reached_at, left_at in session.execute(_restrict(query, scope)):
        spans[(dossier_type, phase, grp)].append((left_at - reached_at).total_seconds())
    rows = []
    for (dossier_type, phase, grp), values in spans.items():
        values.sort()
        rows.append((dossier_type, phase, grp, len(values), percentile_cont(values, 0.5) / DAY,
                     percentile_cont(values, 0.9) / DAY))
    return rows


def _order_key(row: DwellRow) -> tuple[Any, ...]:
    types = [t.value for t in DossierType]
    flow = PHASE_FLOWS.get(row.dossier_type, ())
    type_index = types.index(row.dossier_type) if row.dossier_type in types else len(types)
    phase_index = flow.index(row.phase) if row.phase in flow else len(flow)
    group_number = row.group if isinstance(row.group, int) else 0  # subtype ids in numeric order
    return (type_index, row.dossier_type, row.group is None, group_number, str(row.group or ""), phase_index,
            row.phase)


def dwell_times_exact(session: Session, scope: Scope, by: Breakdown = "phase") -> list[DwellRow]:
    """Per type and phase (and subtype or project when ``by`` says so), the number of phase
    rows left in the period and the exact median and 90th percentile of their durations, in
    days, from ``dossier_phases``. Only groups with at least one row; ordered by type, group, then
    the phase's place in its flow. :func:`dwell_times` uses it for periods without a whole month."""
    _check(by)
    compute = _postgresql if session.bind is not None and session.bind.dialect.name == "postgresql" else _portable
    rows = [DwellRow(dossier_type, phase, grp if by != "phase" else None, int(count), float(median), float(p90))
            for dossier_type, phase, grp, count, median, p90 in compute(session, scope, by)]
    return sorted(rows, key=_order_key)


def _check(by: str) -> None:
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {', '.join(BREAKDOWNS)}, not {by!r}")


# --------------------------------------------------------------------------- from the histogram

Group = tuple[str, str, Any]  # (dossier type, phase, group of the breakdown)


@dataclass(frozen=True)
class Split:
    """The period cut into whole months, read from the histogram ([first, end) as month first
    days, None: unbounded), and the edges read from ``dossier_phases`` ([start, end) moments)."""

    first_month: dt.date | None
    end_month: dt.date
    edges: tuple[tuple[dt.datetime | None, dt.datetime | None], ...]


def split_period(scope: Scope, now: dt.datetime) -> Split | None:
    """None when the period holds no whole month (then the exact computation is as cheap).
    A month is whole when it is inside the period and over (the current month is an edge)."""
    upper = scope.end if scope.end is not None and scope.end <= now else now
    end_month = rollup.month_of(upper)
    if scope.start is None:
        first_month: dt.date | None = None
    else:
        first_month = rollup.month_of(scope.start)
        if rollup.month_start_utc(first_month) != scope.start:
            first_month = rollup.next_month(first_month)
        if first_month >= end_month:
            return None
    edges: list[tuple[dt.datetime | None, dt.datetime | None]] = []
    if first_month is not None and scope.start is not None and rollup.month_start_utc(first_month) != scope.start:
        edges.append((scope.start, rollup.month_start_utc(first_month)))
    tail = rollup.month_start_utc(end_month)
    if scope.end is None or scope.end > tail:
        edges.append((tail, scope.end))
    return Split(first_month, end_month, tuple(edges))


def _histogram_counts(session: Session, scope: Scope, by: Breakdown, split: Split,
                      counts: dict[Group, Counter[int]]) -> None:
    h = DwellHistogram
    need_subtype = by == "subtype" or scope.subtype_id is not None
    need_project = by == "project" or bool(scope.project)
    grain = (rollup.GRAIN_FULL if need_subtype and need_project else rollup.GRAIN_SUBTYPE if need_subtype
             else rollup.GRAIN_PROJECT if need_project else rollup.GRAIN_TOTAL)
    group = h.subtype_id if by == "subtype" else h.project if by == "project" else literal_column("NULL")
    query = select(h.dossier_type, h.phase, group.label("grp"), h.bucket, func.sum(h.count)).where(
        h.grain == grain, h.month < split.end_month)
    if split.first_month is not None:
        query = query.where(h.month >= split.first_month)
    if scope.dossier_type:
        query = query.where(h.dossier_type == scope.dossier_type)
    if scope.subtype_id is not None:
        query = query.where(h.subtype_id == scope.subtype_id)
    if scope.project:
        query = query.where(h.project == scope.project)
    keys = [h.dossier_type, h.phase, h.bucket] + ([group] if by != "phase" else [])
    for dossier_type, phase, grp, bucket, count in session.execute(query.group_by(*keys)):
        if by == "subtype":
            grp = grp or None  # 0: no subtype
        elif by == "project":
            grp = grp or None  # '': no project
        counts[(dossier_type, phase, grp)][bucket] += int(count)


def _edge_counts(session: Session, scope: Scope, by: Breakdown, start: dt.datetime | None, end: dt.datetime | None,
                 counts: dict[Group, Counter[int]]) -> None:
    """The rows left in a partial month, bucketed like the histogram: grouped in SQL on
    PostgreSQL, in Python on SQLite (with :func:`rollup.bucket_of`, the upkeep's own function)."""
    edge = Scope(start=start, end=end, dossier_type=scope.dossier_type, subtype_id=scope.subtype_id,
                 project=scope.project)
    group = _group_column(by).label("grp")
    if session.get_bind().dialect.name == "postgresql":
        seconds = cast(func.extract("epoch", DossierPhase.left_at) - func.extract("epoch", DossierPhase.reached_at),
                       Float)
        bucket = rollup.bucket_sql(seconds).label("bucket")
        query = (select(Dossier.type, DossierPhase.phase, group, bucket, func.count())
                 .join(Dossier, Dossier.id == DossierPhase.dossier_id))
        keys = [Dossier.type, DossierPhase.phase, bucket] + ([_group_column(by)] if by != "phase" else [])
        for dossier_type, phase, grp, bucket_value, count in session.execute(_restrict(query, edge).group_by(*keys)):
            counts[(dossier_type, phase, grp)][bucket_value] += int(count)
        return
    query = (select(Dossier.type, DossierPhase.phase, group, DossierPhase.reached_at, DossierPhase.left_at)
             .join(Dossier, Dossier.id == DossierPhase.dossier_id))
    for dossier_type, phase, grp, reached_at, left_at in session.execute(_restrict(query, edge)):
        counts[(dossier_type, phase, grp)][rollup.bucket_of((left_at - reached_at).total_seconds())] += 1


def histogram_percentile(buckets: Sequence[tuple[int, int]], fraction: float) -> float | None:
    """``percentile_cont`` over a histogram ``[(bucket, count)]`` sorted by bucket: the values of
    a bucket are taken as spread evenly over its width (the k-th of n at ``(k + 0.5) / n``), then
    interpolated between the two ranks around ``fraction * (n - 1)`` as PostgreSQL does. In
    seconds; None for no values."""
    total = sum(count for _, count in buckets if count > 0)
    if total == 0:
        return None
    position = fraction * (total - 1)
    low = math.floor(position)
    high = min(low + 1, total - 1)
    values: dict[int, float] = {}
    seen = 0
    for bucket, count in buckets:
        if count <= 0:
            continue
        for rank in (low, high):
            if rank not in values and seen <= rank < seen + count:
                start, stop = rollup.bucket_bounds(bucket)
                values[rank] = start + (rank - seen + 0.5) / count * (stop - start)
        seen += count
        if high in values:
            break
    return values[low] + (position - low) * (values[high] - values[low])


def dwell_times(session: Session, scope: Scope, by: Breakdown = "phase", now: dt.datetime | None = None) -> list[
        DwellRow]:
    """What :func:`dwell_times_exact` says, with the median and the 90th percentile within about
    1 % (see the module's docstring): the whole months of the period from the histogram, its
    edges from the phase rows. ``now`` (default: the current time) ends the last whole month."""
    _check(by)
    split = split_period(scope, now or utcnow())
    if split is None:
        return dwell_times_exact(session, scope, by)
    counts: dict[Group, Counter[int]] = defaultdict(Counter)
    _histogram_counts(session, scope, by, split, counts)
    for start, end in split.edges:
        _edge_counts(session, scope, by, start, end, counts)
    rows = []
    for (dossier_type, phase, grp), buckets in counts.items():
        ordered = sorted(buckets.items())
        count = sum(c for _, c in ordered if c > 0)
        if count == 0:
            continue
        median, p90 = histogram_percentile(ordered, 0.5), histogram_percentile(ordered, 0.9)
        rows.append(DwellRow(dossier_type, phase, grp if by != "phase" else None, count,
                             (median or 0.0) / DAY, (p90 or 0.0) / DAY))
    return sorted(rows, key=_order_key)
