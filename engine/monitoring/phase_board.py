"""The phase board (issue 6 part 1): where the open dossiers stand now. Per dossier type, the
number of open dossiers in each phase of its flow (``PHASE_FLOWS`` order, a phase with none
shows 0), with the oldest and the median age in that phase.

A dossier's current phase is its one ``dossier_phases`` row not left yet; its age in the phase
is ``now - reached_at``. Open means: the dossier is active and its process neither completed
nor terminated. engine/cases/phases.py keeps both facts on the row itself: ``open_type`` is the
dossier's type on the current row of an open dossier, None on every other row.

The board must stay fast at a million dossiers, most of them closed: on PostgreSQL it is one
grouped query over the small partial index of those rows (``ix_dossier_phases_open``), with
``percentile_cont`` for the median, reading neither dossiers nor instances (unless a subtype or
project filter needs the dossier). SQLite has no percentile function: there the current rows are fetched and the
same interpolation (:func:`engine.monitoring.dwell.percentile_cont`) runs in Python.
The period filter does not apply (the board is "now"); type, subtype and project do.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier, DossierPhase, DossierType
from engine.cases.phases import PHASE_FLOWS
from engine.db import utcnow
from engine.monitoring.dwell import DAY, percentile_cont
from engine.monitoring.filters import Scope


@dataclass(frozen=True)
class BoardRow:
    dossier_type: str
    phase: str
    count: int
    oldest_days: float | None  # age of the dossier longest in this phase; None when count is 0
    median_days: float | None
    oldest_reached_at: dt.datetime | None


def _open_current_rows(query: Select[Any], scope: Scope) -> Select[Any]:
    query = query.where(DossierPhase.open_type.is_not(None))
    if scope.dossier_type:
        query = query.where(DossierPhase.open_type == scope.dossier_type)
    if scope.subtype_id is not None or scope.project:
        # only the open dossiers' rows are joined (their dossiers by primary key)
        query = query.join(Dossier, Dossier.id == DossierPhase.dossier_id)
        if scope.subtype_id is not None:
            query = query.where(Dossier.subtype_id == scope.subtype_id)
        if scope.project:
            query = query.where(Dossier.main_project == scope.project)
    return query


Figures = dict[tuple[str, str], tuple[int, dt.datetime, float]]


def _postgresql(session: Session, scope: Scope, now: dt.datetime) -> Figures:
    # the median of the ages is now minus the median reached time (the interpolation is linear)
    median_reached = func.percentile_cont(0.5).within_group(func.extract("epoch", DossierPhase.reached_at))
    query = (select(DossierPhase.open_type, DossierPhase.phase, func.count(), func.min(DossierPhase.reached_at),
                    median_reached)
             .group_by(DossierPhase.open_type, DossierPhase.phase))
    now_epoch = now.timestamp()
    return {(dossier_type, phase): (count, oldest, (now_epoch - median) / DAY)
            for dossier_type, phase, count, oldest, median in session.execute(_open_current_rows(query, scope))}


def _portable(session: Session, scope: Scope, now: dt.datetime) -> Figures:
    query = select(DossierPhase.open_type, DossierPhase.phase, DossierPhase.reached_at)
    reached: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
    for dossier_type, phase, reached_at in session.execute(_open_current_rows(query, scope)):
        reached[(dossier_type, phase)].append(reached_at)
    out = {}
    for key, times in reached.items():
        ages = sorted((now - at).total_seconds() for at in times)
        out[key] = (len(ages), min(times), percentile_cont(ages, 0.5) / DAY)  # type: ignore[operator]
    return out


def phase_board(session: Session, scope: Scope, now: dt.datetime | None = None) -> list[BoardRow]:
    """Every phase of every type in ``scope`` (all seven types, or the one filtered), in the
    order of the type's flow, with the open dossiers in it now. A phase found in the data but not
    in the type's flow (an old diagram's) comes after the flow's phases, so nothing is lost."""
    now = now or utcnow()
    compute = _postgresql if session.bind is not None and session.bind.dialect.name == "postgresql" else _portable
    figures = compute(session, scope, now)
    types = [scope.dossier_type] if scope.dossier_type else [t.value for t in DossierType]
    rows = []
    for dossier_type in types:
        flow = list(PHASE_FLOWS.get(dossier_type, ()))
        flow += sorted(phase for (kind, phase) in figures if kind == dossier_type and phase not in flow)
        for phase in flow:
            count, oldest, median = figures.get((dossier_type, phase), (0, None, None))
            rows.append(BoardRow(dossier_type, phase, count,
                                 (now - oldest).total_seconds() / DAY if oldest is not None else None,
                                 median, oldest))
    return rows
