"""The phase board (/monitoring/phases) and the dwell times (/monitoring/dwell) pages.

Each page computes its figures once (engine/monitoring/phase_board.py, dwell.py), builds the
:class:`ReportTable` that exports them, and draws one chart per dossier type from the same rows,
so the chart, the table and the Excel/CSV file never disagree. A bar of the phase board opens
the dossier list view with the filters that select exactly the dossiers it counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.models import DossierSubtype
from engine.monitoring.dwell import BREAKDOWNS, DwellRow, dwell_times
from engine.monitoring.filters import Scope
from engine.monitoring.phase_board import BoardRow, phase_board
from engine.workflow.models import InstanceStatus
from webapp.context import db_session
from webapp.labels import PHASES, dossier_type_label, phase_label, project_label, subtype_label
from webapp.monitoring.blueprint import bp
from webapp.monitoring.filters import filter_context, scope_from_args
from webapp.monitoring.tables import Column, ReportTable, respond

OPEN_STATUSES = "|".join(s.value for s in InstanceStatus
                         if s not in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED))


def duration_text(days: float | None) -> str:
    """A duration in days as people read it: "3 d 4 h", "5 h 20 min", "12 min"."""
    if days is None:
        return ""
    minutes = round(days * 24 * 60)
    whole_days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if whole_days:
        return _("%(days)d d %(hours)d h", days=whole_days, hours=hours)
    if hours:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=mins)
    return _("%(minutes)d min", minutes=mins)


def _days_column(key: str, label: str) -> Column:
    return Column(key, label, numeric=True, display=duration_text)


# --------------------------------------------------------------------------- phase board


def drill_down_url(session: Session, scope: Scope, row: BoardRow) -> str | None:
    """The dossier list view showing exactly the open dossiers a bar counts (None for a phase
    the list's phase filter does not know: one of an old diagram, not in the flows)."""
    if row.phase not in PHASES:
        return None
    filters = [f"type:eq:{row.dossier_type}", f"phase:eq:{row.phase}", f"status:in:{OPEN_STATUSES}",
               "active:eq:true"]
    if scope.subtype_id is not None:
        subtype = session.get(DossierSubtype, scope.subtype_id)
        filters.append(f"subtype:eq:{subtype_label(subtype)}")
    if scope.project:
        filters.append(f"project:eq:{scope.project}")
    return url_for("views.show", entity="dossiers", f=filters)


def board_table(session: Session, scope: Scope, rows: list[BoardRow]) -> ReportTable:
    table = ReportTable("phase-board", _("Open dossiers per phase"), [
        Column("type", _("Dossier type")),
        Column("phase", _("Phase")),
        Column("count", _("Open dossiers"), numeric=True),
        _days_column("oldest_days", _("Oldest in the phase (days)")),
        _days_column("median_days", _("Median age in the phase (days)")),
    ])
    for row in rows:
        table.rows.append({"type": dossier_type_label(row.dossier_type), "type_code": row.dossier_type,
                           "phase": phase_label(row.phase), "count": row.count, "oldest_days": row.oldest_days,
                           "median_days": row.median_days, "_link": drill_down_url(session, scope, row)})
    return table


def _per_type(table: ReportTable, title: Callable[[str], str]) -> list[dict[str, Any]]:
    """The table's rows cut per dossier type (one chart and one small table each)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in table.rows:
        groups.setdefault(row["type_code"], []).append(row)
    return [{"code": code, "title": title(code), "rows": rows} for code, rows in groups.items()]


@bp.get("/phases", endpoint="phase_board")
def phase_board_page() -> Any:
    session = db_session()
    scope_request = scope_from_args(session, request.args)
    rows = phase_board(session, scope_request.scope)
    table = board_table(session, scope_request.scope, rows)

    def page() -> str:
        sections = []
        for group in _per_type(table, dossier_type_label):
            # the chart above says what it shows; its table is the same figures
            part = ReportTable(table.name, _("In figures"), [c for c in table.columns if c.key != "type"],
                               group["rows"])
            chart = {"type": "bar", "labels": [r["phase"] for r in group["rows"]],
                     "datasets": [{"label": _("Open dossiers"), "data": [r["count"] for r in group["rows"]]}],
                     "links": [r["_link"] for r in group["rows"]]}
            sections.append({"code": group["code"], "title": group["title"], "table": part, "chart": chart,
                             "total": sum(r["count"] for r in group["rows"])})
        return render_template("monitoring/phase_board.html", sections=sections,
                               **filter_context(session, scope_request, shown=("type", "subtype", "project")))

    return respond(table, page)



# --------------------------------------------------------------------------- dwell times


def _breakdown_labels() -> dict[str, str]:
    return {"phase": _("Per phase"), "subtype": _("Per subtype"), "project": _("Per project")}


def _group_labels(session: Session, by: str, rows: list[DwellRow]) -> dict[Any, str]:
    """The words for each group of the breakdown (one query for the subtypes' names)."""
    if by == "subtype":
        ids = {row.group for row in rows if row.group is not None}
        labels: dict[Any, str] = {s.id: subtype_label(s) for s in
                                  session.scalars(select(DossierSubtype).where(DossierSubtype.id.in_(ids)))}
        return {**labels, None: _("No subtype")}
    if by == "project":
        return {**{row.group: project_label(str(row.group)) for row in rows if row.group is not None},
                None: _("No project")}
    return {None: ""}


def dwell_table(session: Session, by: str, rows: list[DwellRow]) -> ReportTable:
    group_title = {"subtype": _("Subtype"), "project": _("Project")}.get(by)
    columns = [Column("type", _("Dossier type"))]
    if group_title:
        columns.append(Column("group", group_title))
    columns += [Column("phase", _("Phase")), Column("count", _("Phases left in the period"), numeric=True),
                _days_column("median_days", _("Median time in the phase (days)")),
                _days_column("p90_days", _("90th percentile (days)"))]
    table = ReportTable(f"dwell-times-{by}", _("Time spent per phase"), columns)
    groups = _group_labels(session, by, rows)
    for row in rows:
        table.rows.append({"type": dossier_type_label(row.dossier_type), "type_code": row.dossier_type,
                           "group": groups.get(row.group, str(row.group)), "phase": phase_label(row.phase),
                           "count": row.count, "median_days": row.median_days, "p90_days": row.p90_days})
    return table


@bp.get("/dwell", endpoint="dwell_times")
def dwell_times_page() -> Any:
    session = db_session()
    scope_request = scope_from_args(session, request.args)
    by = (request.args.get("by") or "phase").strip()
    if by not in BREAKDOWNS:
        scope_request.errors.append(_("Unknown breakdown %(value)s: choose per phase, per subtype or per project.",
                                      value=by))
        by = "phase"
    rows = dwell_times(session, scope_request.scope, by=by)  # type: ignore[arg-type]
    table = dwell_table(session, by, rows)

    def page() -> str:
        sections = []
        for group in _per_type(table, dossier_type_label):
            part_columns = [c for c in table.columns if c.key != "type"]
            part = ReportTable(table.name, _("In figures"), part_columns, group["rows"])
            labels = [f"{r['group']} · {r['phase']}" if by != "phase" else r["phase"] for r in group["rows"]]
            chart = {"type": "bar", "labels": labels, "horizontal": by != "phase", "datasets": [
                {"label": _("Median (days)"), "data": [round(r["median_days"], 2) for r in group["rows"]]},
                {"label": _("90th percentile (days)"), "data": [round(r["p90_days"], 2) for r in group["rows"]]},
            ]}
            sections.append({"code": group["code"], "title": group["title"], "table": part, "chart": chart,
                             "bars": len(labels)})
        args = request.args.to_dict()
        breakdowns = [(key, label, url_for("monitoring.dwell_times", **dict(args, by=key)))
                      for key, label in _breakdown_labels().items()]
        context = filter_context(session, scope_request, shown=("period", "type", "subtype", "project"))
        context["extra_filters"] = {"by": by}
        return render_template("monitoring/dwell.html", sections=sections, by=by, breakdowns=breakdowns, **context)

    return respond(table, page)

