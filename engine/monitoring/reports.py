"""The report builder: the recurring reports (VEKA, FOSSTER, CondoReno, policy feedback; seed
001 §1.1) as one or two row dimensions by a few measures over a period, and the saved reports
(``saved_reports``) a manager reruns or has mailed monthly (engine/monitoring/report_jobs.py).

Rows: dossier type, subtype, main project, current phase, municipality and housing type of the
journey's site address (the site address hangs on the journey's first dossier).

Measures, for the dossiers of a row over the period [start, end):
  count            dossiers on file: opened before the end and not closed before the start
  opened           dossiers created in the period
  closed           dossiers whose process completed (or was stopped) in the period
  median_lead_time median days from the request to the first action (facts), request in the period
  sum:<fact>       sum of an amount fact (e.g. premium_granted_amount) recorded in the period
Deactivated dossiers are left out. Each measure is one grouped query (the percentiles in SQL on
PostgreSQL, in Python over the small grouped result on SQLite); the results merge by row key.

The engine keeps raw codes (type, phase, subtype id); the web app labels them. Problems with a
definition come back as :class:`ReportProblem` codes, which the web app words in FR/NL/EN.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Select,
    String,
    UniqueConstraint,
    and_,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from engine.access.models import Role, User
from engine.cases.models import Dossier
from engine.db import Base, JSONDoc, utcnow
from engine.monitoring.facts import DossierFact
from engine.monitoring.filters import Scope
from engine.monitoring.lead_time import FIRST_ACTION_DATE, REQUEST_DATE, dossier_filters, percentile_cont, scope_dates
from engine.places.models import Address, AddressDetails, DossierSite
from engine.workflow.errors import EngineError, Forbidden, NotFound
from engine.workflow.models import InstanceStatus, ProcessInstance

ROW_DIMENSIONS = ("type", "subtype", "project", "phase", "municipality", "housing_type")
BASE_MEASURES = ("count", "opened", "closed", "median_lead_time")
SUM_PREFIX = "sum:"
MAX_ROWS = 2
SCHEDULES = ("monthly",)
NAME_MAX = 120
FILTER_KEYS = ("period", "start", "end", "type", "subtype", "project")
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")
CLOSED_STATUSES = (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)


@dataclass(frozen=True)
class ReportProblem:
    """What is wrong with a definition or a saved report: a code the web app words, the field
    it concerns and the offending value."""

    code: str
    field: str
    value: str = ""


class InvalidReport(EngineError):
    def __init__(self, problems: list[ReportProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.code} {p.value}".strip() for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ReportDefinition:
    rows: tuple[str, ...]
    measures: tuple[str, ...]
    # the filter form's values (period preset or dates, type, subtype, project), as typed
    filters: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"rows": list(self.rows), "measures": list(self.measures), "filters": dict(self.filters)}


def parse_definition(rows: Iterable[str], measures: Iterable[str], filters: Mapping[str, str] | None = None, *,
                     amount_facts: Collection[str]) -> ReportDefinition:
    """A checked definition, or :class:`InvalidReport` listing every problem. ``amount_facts``
    are the facts that can be summed (the forms' amount fields, given by the web app)."""
    problems: list[ReportProblem] = []
    row_list = [r.strip() for r in rows if r and r.strip()]
    measure_list = [m.strip() for m in measures if m and m.strip()]
    if not row_list:
        problems.append(ReportProblem("rows_missing", "rows"))
    if len(row_list) > MAX_ROWS:
        problems.append(ReportProblem("rows_too_many", "rows", str(len(row_list))))
    for row in row_list:
        if row not in ROW_DIMENSIONS:
            problems.append(ReportProblem("row_unknown", "rows", row))
    if len(set(row_list)) != len(row_list):
        problems.append(ReportProblem("row_repeated", "rows"))
    if not measure_list:
        problems.append(ReportProblem("measures_missing", "measures"))
    for measure in measure_list:
        known = measure in BASE_MEASURES or (
            measure.startswith(SUM_PREFIX) and measure[len(SUM_PREFIX):] in amount_facts)
        if not known:
            problems.append(ReportProblem("measure_unknown", "measures", measure))
    if problems:
        raise InvalidReport(problems)
    kept = {key: str(value).strip() for key, value in (filters or {}).items()
            if key in FILTER_KEYS and value is not None and str(value).strip()}
    return ReportDefinition(tuple(row_list), tuple(dict.fromkeys(measure_list)), kept)


def definition_from_json(data: Mapping[str, Any], *, amount_facts: Collection[str]) -> ReportDefinition:
    return parse_definition(data.get("rows") or [], data.get("measures") or [], data.get("filters") or {},
                            amount_facts=amount_facts)


def scope_for_period(session: Session, definition: ReportDefinition, start: dt.datetime | None,
                     end: dt.datetime | None) -> Scope:
    """The definition's dossier filters over the period [start, end) (the monthly mail's month
    replaces the saved period). A subtype or a type that no longer exists is dropped."""
    from engine.cases.dossier_info import PROJECTS
    from engine.cases.models import DossierSubtype, DossierType

    filters = definition.filters
    dossier_type = filters.get("type") if filters.get("type") in {t.value for t in DossierType} else None
    subtype = filters.get("subtype", "")
    subtype_id = int(subtype) if subtype.isdigit() and session.get(DossierSubtype, int(subtype)) else None
    project = filters.get("project") if filters.get("project") in PROJECTS else None
    return Scope(start=start, end=end, dossier_type=dossier_type, subtype_id=subtype_id, project=project)


# ---------------------------------------------------------------------------- running


@dataclass
class ReportResult:
    rows: tuple[str, ...]
    measures: tuple[str, ...]
    # one dict per row: the dimension codes (None: not known) and the measures' values
    lines: list[dict[str, Any]] = field(default_factory=list)


def _dimension(name: str, instance: Any, address: Any, details: Any) -> Any:
    return {
        "type": Dossier.type,
        "subtype": Dossier.subtype_id,
        "project": Dossier.main_project,
        "phase": instance.phase,
        "municipality": address.municipality,
        "housing_type": details.housing_type,
    }[name]


class _Query:
    """The dossiers of the scope with what the row dimensions need joined once."""

    def __init__(self, definition: ReportDefinition, scope: Scope) -> None:
        self.scope = scope
        self.instance = aliased(ProcessInstance, name="pi")
        site = aliased(DossierSite, name="site")
        self.address = aliased(Address, name="site_address")
        self.details = aliased(AddressDetails, name="site_details")
        self.dims = [_dimension(r, self.instance, self.address, self.details).label(f"d{i}")
                     for i, r in enumerate(definition.rows)]
        base = select().select_from(Dossier).outerjoin(self.instance, self.instance.id == Dossier.process_instance_id)
        if {"municipality", "housing_type"} & set(definition.rows):
            base = (base.outerjoin(site, site.dossier_id == func.coalesce(Dossier.journey_id, Dossier.id))
                    .outerjoin(self.address, self.address.id == site.address_id)
                    .outerjoin(self.details, self.details.address_id == site.address_id))
        self.base = base.where(*dossier_filters(scope))

    def closed_at(self) -> Any:
        return self.instance.completed_at

    def is_closed(self) -> Any:
        return and_(self.instance.status.in_(CLOSED_STATUSES), self.instance.completed_at.is_not(None))

    def grouped(self, query: Select, *values: Any) -> Select:
        return query.add_columns(*self.dims, *values).group_by(*self.dims)


def _within(column: Any, start: Any, end: Any) -> list[Any]:
    clauses = []
    if start is not None:
        clauses.append(column >= start)
    if end is not None:
        clauses.append(column < end)
    return clauses


def _key(row: Any, width: int) -> tuple[Any, ...]:
    return tuple(row[i] for i in range(width))


def _counts(session: Session, q: _Query, measure: str) -> dict[tuple[Any, ...], Any]:
    scope = q.scope
    if measure == "opened":
        where = _within(Dossier.created_at, scope.start, scope.end)
    elif measure == "closed":
        where = [q.is_closed(), *_within(q.closed_at(), scope.start, scope.end)]
    else:  # count: on file during the period
        where = []
        if scope.end is not None:
            where.append(Dossier.created_at < scope.end)
        if scope.start is not None:
            # a dossier without a process, or whose process runs, is on file (NULLs made explicit)
            where.append(or_(q.closed_at().is_(None), q.instance.status.not_in(CLOSED_STATUSES),
                             q.closed_at() >= scope.start))
    width = len(q.dims)
    query = q.grouped(q.base.where(*where), func.count(Dossier.id))
    return {_key(row, width): row[width] for row in session.execute(query)}


def _sums(session: Session, q: _Query, fact_name: str) -> dict[tuple[Any, ...], Any]:
    fact = aliased(DossierFact, name="amount_fact")
    width = len(q.dims)
    query = q.grouped(
        q.base.join(fact, and_(fact.dossier_id == Dossier.id, fact.name == fact_name))
        .where(fact.value_number.is_not(None), *_within(fact.recorded_at, q.scope.start, q.scope.end)),
        func.sum(fact.value_number),
    )
    return {_key(row, width): round(float(row[width]), 2) for row in session.execute(query)}


def _median_lead_times(session: Session, q: _Query) -> dict[tuple[Any, ...], Any]:
    request = aliased(DossierFact, name="request_fact")
    action = aliased(DossierFact, name="action_fact")
    start, end = scope_dates(q.scope)
    joined = (
        q.base.join(request, and_(request.dossier_id == Dossier.id, request.name == REQUEST_DATE))
        .join(action, and_(action.dossier_id == Dossier.id, action.name == FIRST_ACTION_DATE))
        .where(request.value_date.is_not(None), action.value_date.is_not(None),
               *_within(request.value_date, start, end))
    )
    width = len(q.dims)
    if session.get_bind().dialect.name == "postgresql":
        days = cast(action.value_date - request.value_date, Float)
        query = q.grouped(joined, func.percentile_cont(0.5).within_group(days))
        return {_key(row, width): float(row[width]) for row in session.execute(query)}
    values: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    for row in session.execute(joined.add_columns(*q.dims, request.value_date, action.value_date)):
        requested, acted = row[width], row[width + 1]
        values[_key(row, width)].append(float((acted - requested).days))
    return {key: percentile_cont(days, 0.5) for key, days in values.items()}


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, str(value) if value is not None else "") for value in key)


def run_report(session: Session, definition: ReportDefinition, scope: Scope) -> ReportResult:
    """The report's lines, one per combination of row values that has a figure."""
    q = _Query(definition, scope)
    columns: dict[str, dict[tuple[Any, ...], Any]] = {}
    for measure in definition.measures:
        if measure in ("count", "opened", "closed"):
            columns[measure] = _counts(session, q, measure)
        elif measure == "median_lead_time":
            columns[measure] = _median_lead_times(session, q)
        elif measure.startswith(SUM_PREFIX):
            columns[measure] = _sums(session, q, measure[len(SUM_PREFIX):])
        else:
            raise InvalidReport([ReportProblem("measure_unknown", "measures", measure)])
    keys = sorted({key for values in columns.values() for key in values}, key=_sort_key)
    lines = []
    for key in keys:
        line: dict[str, Any] = dict(zip(definition.rows, key, strict=True))
        for measure, values in columns.items():
            default = None if measure == "median_lead_time" else 0
            line[measure] = values.get(key, default)
        lines.append(line)
    return ReportResult(definition.rows, definition.measures, lines)


# ---------------------------------------------------------------------------- saved reports


class SavedReport(Base):
    """A named report definition of one manager, optionally mailed monthly to ``recipients``."""

    __tablename__ = "saved_reports"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_saved_reports_owner_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    schedule: Mapped[str | None] = mapped_column(String(20))
    recipients: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    last_sent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def parse_recipients(text: str | Sequence[str]) -> tuple[list[str], list[ReportProblem]]:
    """E-mail addresses separated by commas, semicolons, spaces or lines; each one checked."""
    parts = re.split(r"[\s,;]+", text) if isinstance(text, str) else list(text)
    addresses: list[str] = []
    problems = []
    for part in parts:
        address = part.strip()
        if not address:
            continue
        if not EMAIL.match(address) or len(address) > 254:
            problems.append(ReportProblem("recipient_invalid", "recipients", address))
        elif address.lower() not in {a.lower() for a in addresses}:
            addresses.append(address)
    return addresses, problems


def save_report(session: Session, owner: User, name: str, definition: ReportDefinition, *,
                schedule: str | None = None, recipients: str | Sequence[str] = "",
                report_id: int | None = None) -> SavedReport:
    """Create the owner's report ``name`` (or replace the one of that name), or update
    ``report_id`` (checked like every other access)."""
    problems: list[ReportProblem] = []
    name = (name or "").strip()
    if not name:
        problems.append(ReportProblem("name_missing", "name"))
    elif len(name) > NAME_MAX:
        problems.append(ReportProblem("name_too_long", "name", str(NAME_MAX)))
    schedule = (schedule or "").strip() or None
    if schedule is not None and schedule not in SCHEDULES:
        problems.append(ReportProblem("schedule_unknown", "schedule", schedule))
        schedule = None
    addresses, recipient_problems = parse_recipients(recipients)
    problems.extend(recipient_problems)
    if schedule and not addresses and not recipient_problems:
        problems.append(ReportProblem("recipients_missing", "recipients"))
    if problems:
        raise InvalidReport(problems)
    if report_id is not None:
        report = report_for(session, report_id, owner)
        clash = session.scalar(select(SavedReport.id).where(
            SavedReport.owner_id == report.owner_id, SavedReport.name == name, SavedReport.id != report.id))
        if clash is not None:
            raise InvalidReport([ReportProblem("name_taken", "name", name)])
    else:
        report = session.scalar(select(SavedReport).where(SavedReport.owner_id == owner.id,
                                                          SavedReport.name == name))
        if report is None:
            report = SavedReport(owner_id=owner.id)
            session.add(report)
    report.name = name
    report.definition = definition.to_json()
    report.schedule = schedule
    report.recipients = addresses
    report.updated_at = utcnow()
    session.flush()
    return report


def _may_see_all(user: User) -> bool:
    return user.has_role(Role.ADMINISTRATOR)


def report_for(session: Session, report_id: int, user: User) -> SavedReport:
    """The saved report, if ``user`` may open it: its owner, or an administrator."""
    report = session.get(SavedReport, report_id)
    if report is None:
        raise NotFound(f"Report {report_id} does not exist.")
    if report.owner_id != user.id and not _may_see_all(user):
        raise Forbidden("This report belongs to another manager.")
    return report


def reports_of(session: Session, user: User) -> list[SavedReport]:
    """The reports ``user`` may open (an administrator sees everyone's)."""
    query = select(SavedReport).order_by(SavedReport.name, SavedReport.id)
    if not _may_see_all(user):
        query = query.where(SavedReport.owner_id == user.id)
    return list(session.scalars(query))


def delete_report(session: Session, report_id: int, user: User) -> None:
    session.delete(report_for(session, report_id, user))
    session.flush()
