"""Flow: how many dossiers come in (``Dossier.created_at``) and go out (``completed_at`` of the
dossier's process instance) per ISO week or calendar month, broken down by one dimension, and the
journey funnel (seed 001 §5.3: information → advice → project design → execution → follow-up).

Buckets are computed in SQL (PostgreSQL ``date_trunc`` in UTC, SQLite ``date``/``strftime``) as
the ISO date of the bucket's first day, so both databases give the same keys. Every bucket of the
period is returned, empty ones with zeros: a chart over time must show the weeks when nothing
happened. A dossier whose instance was terminated also counts as closed (it left the flow), and
deactivated dossiers count nowhere (they were hidden as mistakes or duplicates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session, aliased

from engine.cases.journeys import TYPE_STAGE
from engine.cases.models import Dossier, DossierSubtype, JourneyStage
from engine.db import utcnow
from engine.monitoring.filters import Scope
from engine.workflow.models import ProcessInstance

INTERVALS = ("week", "month")
BREAKDOWNS = ("type", "subtype", "project", "source", "stage")
STAGES: tuple[str, ...] = tuple(stage.value for stage in JourneyStage)


def stage_expression(dossier: Any = Dossier, subtype: Any = DossierSubtype) -> ColumnElement[str]:
    """The journey stage of a dossier in SQL, as :func:`engine.cases.journeys.stage_of` says it:
    the subtype's stage when it names one, else the stage of the type."""
    by_type = case({str(t): str(s) for t, s in TYPE_STAGE.items()}, value=dossier.type,
                   else_=JourneyStage.INFORMATION.value)
    return func.coalesce(func.nullif(subtype.journey_stage, ""), by_type)


def bucket_expression(session: Session, column: Any, interval: str) -> ColumnElement[str]:
    """The first day (YYYY-MM-DD, UTC) of the ISO week or calendar month of ``column``."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc(interval, func.timezone("UTC", column)), "YYYY-MM-DD")
    if interval == "week":  # the next Sunday (or that day when a Sunday), less six days: the Monday
        return func.date(column, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", column)


def bucket_start(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day + dt.timedelta(days=7)
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def bucket_range(first: dt.date, last: dt.date, interval: str) -> list[str]:
    """Every bucket from the one holding ``first`` to the one holding ``last``, both included."""
    keys: list[str] = []
    current, stop = bucket_start(first, interval), bucket_start(last, interval)
    while current <= stop:
        keys.append(current.isoformat())
        current = next_bucket(current, interval)
    return keys


def _group_expression(breakdown: str) -> ColumnElement[Any]:
    if breakdown == "type":
        return Dossier.type
    if breakdown == "subtype":
        return Dossier.subtype_id
    if breakdown == "project":
        return Dossier.main_project
    if breakdown == "source":
        return Dossier.source
    return stage_expression()


def dossier_filters(scope: Scope, dossier: Any = Dossier) -> list[ColumnElement[bool]]:
    """The dossier dimensions of the scope (type, subtype, project) and active dossiers only."""
    conditions: list[ColumnElement[bool]] = [dossier.active.is_(True)]
    if scope.dossier_type:
        conditions.append(dossier.type == scope.dossier_type)
    if scope.subtype_id is not None:
        conditions.append(dossier.subtype_id == scope.subtype_id)
    if scope.project:
        conditions.append(dossier.main_project == scope.project)
    return conditions


def in_period(column: Any, scope: Scope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if scope.start is not None:
        conditions.append(column >= scope.start)
    if scope.end is not None:
        conditions.append(column < scope.end)
    return conditions


@dataclass
class FlowReport:
    interval: str
    breakdown: str
    buckets: list[str]  # first day of each bucket, ISO, in order, empty buckets included
    opened: dict[str, int]  # per bucket
    closed: dict[str, int]
    groups: list[str | None]  # the breakdown's values seen in the period, most dossiers first
    # (bucket, group) -> (opened, closed), only the pairs where something happened
    by_group: dict[tuple[str, str | None], tuple[int, int]] = field(default_factory=dict)

    def group_total(self, group: str | None) -> tuple[int, int]:
        opened = sum(v[0] for (_b, g), v in self.by_group.items() if g == group)
        closed = sum(v[1] for (_b, g), v in self.by_group.items() if g == group)
        return opened, closed


def _counts(session: Session, query: Select[Any]) -> dict[tuple[str, str | None], int]:
    return {(str(bucket), None if group is None else str(group)): int(count)
            for bucket, group, count in session.execute(query)}


def flow_report(session: Session, scope: Scope, *, interval: str = "month", breakdown: str = "type",
                now: dt.datetime | None = None) -> FlowReport:
    """Dossiers opened and closed per bucket and per value of ``breakdown`` over the scope."""
    if interval not in INTERVALS:
        raise ValueError(f"Unknown interval {interval!r}: use one of {', '.join(INTERVALS)}.")
    if breakdown not in BREAKDOWNS:
        raise ValueError(f"Unknown breakdown {breakdown!r}: use one of {', '.join(BREAKDOWNS)}.")
    now = now or utcnow()
    group = _group_expression(breakdown).label("grp")

    opened_bucket = bucket_expression(session, Dossier.created_at, interval).label("bucket")
    opened_query = (
        select(opened_bucket, group, func.count().label("n"))
        .select_from(Dossier).outerjoin(DossierSubtype, DossierSubtype.id == Dossier.subtype_id)
        .where(*dossier_filters(scope), *in_period(Dossier.created_at, scope))
        .group_by(opened_bucket, group)
    )
    closed_bucket = bucket_expression(session, ProcessInstance.completed_at, interval).label("bucket")
    closed_query = (
        select(closed_bucket, group, func.count().label("n"))
        .select_from(Dossier).join(ProcessInstance, ProcessInstance.id == Dossier.process_instance_id)
        .outerjoin(DossierSubtype, DossierSubtype.id == Dossier.subtype_id)
        .where(ProcessInstance.completed_at.is_not(None), *dossier_filters(scope),
               *in_period(ProcessInstance.completed_at, scope))
        .group_by(closed_bucket, group)
    )
    opened, closed = _counts(session, opened_query), _counts(session, closed_query)

    seen = sorted({key[0] for key in opened} | {key[0] for key in closed})
    first = scope.start.date() if scope.start else (dt.date.fromisoformat(seen[0]) if seen else now.date())
    last_moment = (scope.end - dt.timedelta(microseconds=1)) if scope.end else now
    last = last_moment.date()
    if seen and dt.date.fromisoformat(seen[-1]) > last:  # events dated after "now" (clock skew) still show
        last = dt.date.fromisoformat(seen[-1])
    buckets = bucket_range(first, last, interval) if first <= last else []

    by_group: dict[tuple[str, str | None], tuple[int, int]] = {}
    for key in set(opened) | set(closed):
        by_group[key] = (opened.get(key, 0), closed.get(key, 0))
    totals: dict[str | None, int] = {}
    for (_bucket, grp), (o, c) in by_group.items():
        totals[grp] = totals.get(grp, 0) + o + c
    groups = sorted(totals, key=lambda g: (-totals[g], g is None, g or ""))
    return FlowReport(
        interval=interval, breakdown=breakdown, buckets=buckets,
        opened={b: sum(n for (kb, _g), n in opened.items() if kb == b) for b in buckets},
        closed={b: sum(n for (kb, _g), n in closed.items() if kb == b) for b in buckets},
        groups=groups, by_group=by_group,
    )


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    reached: int  # journeys with at least one dossier of this stage
    moved_on: int | None  # of those, journeys that also have a dossier of the next stage (None: last stage)

    @property
    def share(self) -> float | None:
        """The part of the journeys that reached this stage and moved on, from 0 to 1."""
        if self.moved_on is None or not self.reached:
            return None
        return self.moved_on / self.reached


def journey_funnel(session: Session, scope: Scope) -> list[FunnelStep]:
    """Journeys whose first dossier was opened in the period (and matches the scope's type, subtype
    and project): how many reached each stage, and how many moved from each stage to the next.

    A journey is its first dossier (``journey_id`` NULL) and the follow-ups pointing to it; it
    reached a stage when one of its (active) dossiers is of that stage."""
    root = aliased(Dossier, name="root")
    roots = (select(root.id).where(root.journey_id.is_(None), *dossier_filters(scope, root),
                                   *in_period(root.created_at, scope)))
    root_id = func.coalesce(Dossier.journey_id, Dossier.id)
    stage = stage_expression()
    flags = [func.max(case((stage == s, 1), else_=0)).label(s) for s in STAGES]
    # only the dossiers of the journeys in scope are read (journey_id and the primary key are indexed)
    journeys = (
        select(*flags)
        .select_from(Dossier).outerjoin(DossierSubtype, DossierSubtype.id == Dossier.subtype_id)
        .where(Dossier.active.is_(True), root_id.in_(roots))
        .group_by(root_id)
        .subquery("journeys")
    )
    columns = journeys.c
    sums: list[ColumnElement[Any]] = []
    for index, name in enumerate(STAGES):
        sums.append(func.sum(columns[name]))
        if index + 1 < len(STAGES):
            sums.append(func.sum(columns[name] * columns[STAGES[index + 1]]))
    query = select(*sums).select_from(journeys)
    values = [int(v or 0) for v in session.execute(query).one()]
    steps: list[FunnelStep] = []
    position = 0
    for index, name in enumerate(STAGES):
        reached = values[position]
        position += 1
        moved: int | None = None
        if index + 1 < len(STAGES):
            moved = values[position]
            position += 1
        steps.append(FunnelStep(name, reached, moved))
    return steps
