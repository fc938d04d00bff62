"""Lead time of Information dossiers (seed 001 §5.4.1, "délai d'exécution"): the days between the
citizen's first contact (fact ``request_date``) and the one-stop shop's first action (fact
``first_action_date``), per month of the request date: how many, the median and the 90th
percentile.

Calendar days, from the two dates the case worker typed (the form's script shows working days
on the dossier; a report over thousands of dossiers stays in SQL with calendar days, which is
also what "délai" means in the reports to VEKA). PostgreSQL computes the percentiles
(``percentile_cont``); SQLite has none, so it returns the (small) list of durations and Python
interpolates exactly as ``percentile_cont`` does: both databases give the same figures.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Date, Float, Select, and_, cast, func, select
from sqlalchemy.orm import Session, aliased

from engine.cases.models import Dossier, DossierType
from engine.monitoring.facts import DossierFact
from engine.monitoring.filters import Scope

REQUEST_DATE = "request_date"
FIRST_ACTION_DATE = "first_action_date"


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's ``percentile_cont``: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


@dataclass(frozen=True)
class LeadTimeMonth:
    month: dt.date  # first day of the month of the request date
    count: int
    median_days: float | None
    p90_days: float | None


def scope_dates(scope: Scope) -> tuple[dt.date | None, dt.date | None]:
    """The scope's period as dates (start inclusive, end exclusive), for facts that are dates.
    An end that is not a midnight includes its day."""
    start = scope.start.astimezone(dt.UTC).date() if scope.start else None
    end = None
    if scope.end:
        end_utc = scope.end.astimezone(dt.UTC)
        end = end_utc.date() if end_utc.time() == dt.time() else end_utc.date() + dt.timedelta(days=1)
    return start, end


def dossier_filters(scope: Scope) -> list:
    """The dossier dimensions of the scope (type, subtype, project) as WHERE clauses."""
    clauses = [Dossier.active.is_(True)]
    if scope.dossier_type:
        clauses.append(Dossier.type == scope.dossier_type)
    if scope.subtype_id is not None:
        clauses.append(Dossier.subtype_id == scope.subtype_id)
    if scope.project:
        clauses.append(Dossier.main_project == scope.project)
    return clauses


def _pairs(scope: Scope) -> tuple[Select, object, object]:
    request = aliased(DossierFact, name="request_fact")
    action = aliased(DossierFact, name="action_fact")
    start, end = scope_dates(scope)
    clauses = [*dossier_filters(replace(scope, dossier_type=None)), Dossier.type == DossierType.INFORMATION]
    if start:
        clauses.append(request.value_date >= start)
    if end:
        clauses.append(request.value_date < end)
    query = (
        select()
        .select_from(Dossier)
        .join(request, and_(request.dossier_id == Dossier.id, request.name == REQUEST_DATE))
        .join(action, and_(action.dossier_id == Dossier.id, action.name == FIRST_ACTION_DATE))
        .where(request.value_date.is_not(None), action.value_date.is_not(None), *clauses)
    )
    return query, request, action


def lead_times(session: Session, scope: Scope) -> list[LeadTimeMonth]:
    """Per month of the request date (oldest first): count, median and p90 in calendar days.
    The scope's type is ignored (always Information); its period applies to the request date."""
    query, request, action = _pairs(scope)
    if session.get_bind().dialect.name == "postgresql":
        month = cast(func.date_trunc("month", request.value_date), Date)
        days = cast(action.value_date - request.value_date, Float)
        rows = session.execute(
            query.add_columns(
                month.label("month"),
                func.count().label("n"),
                func.percentile_cont(0.5).within_group(days).label("median"),
                func.percentile_cont(0.9).within_group(days).label("p90"),
            ).group_by(month).order_by(month)
        )
        return [LeadTimeMonth(r.month, r.n, float(r.median), float(r.p90)) for r in rows]
    by_month: dict[dt.date, list[float]] = defaultdict(list)
    for requested, acted in session.execute(query.add_columns(request.value_date, action.value_date)):
        by_month[requested.replace(day=1)].append(float((acted - requested).days))
    return [LeadTimeMonth(month, len(values), percentile_cont(values, 0.5), percentile_cont(values, 0.9))
            for month, values in sorted(by_month.items())]
