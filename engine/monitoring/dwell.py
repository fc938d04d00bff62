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
rows are fetched and :func:`percentile_cont` computes the same interpolation in Python.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier, DossierPhase, DossierType
from engine.cases.phases import PHASE_FLOWS
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


def dwell_times(session: Session, scope: Scope, by: Breakdown = "phase") -> list[DwellRow]:
    """Per type and phase (and subtype or project when ``by`` says so), the number of phase
    rows left in the period and the median and 90th percentile of their durations, in days.
    Only groups with at least one row; ordered by type, group, then the phase's place in its flow."""
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {', '.join(BREAKDOWNS)}, not {by!r}")
    compute = _postgresql if session.bind is not None and session.bind.dialect.name == "postgresql" else _portable
    rows = [DwellRow(dossier_type, phase, grp if by != "phase" else None, int(count), float(median), float(p90))
            for dossier_type, phase, grp, count, median, p90 in compute(session, scope, by)]
    return sorted(rows, key=_order_key)
