"""Lead time of Information dossiers (/monitoring/lead-time, seed 001 §5.4.1): per month of the
request, how many dossiers had their first action, and the median and 90th percentile of the
days between the citizen's contact and that first action (engine/monitoring/lead_time.py).
Linked from the reports page; chart and table show the same figures, the table exports."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from engine.monitoring.lead_time import LeadTimeMonth, lead_times
from webapp.context import db_session
from webapp.monitoring.blueprint import bp
from webapp.monitoring.filters import filter_context, scope_from_args
from webapp.monitoring.tables import Column, ReportTable, respond


def _days(value: Any) -> str:
    return _("%(days)s d", days=format_decimal(value, format="#,##0.#"))


def lead_time_table(months: list[LeadTimeMonth]) -> ReportTable:
    table = ReportTable("lead-time", _("Lead time from the request to the first action"), [
        Column("month", _("Month of the request"), display=lambda d: format_date(d, "MMMM y")),
        Column("count", _("Dossiers"), numeric=True),
        Column("median_days", _("Median (calendar days)"), numeric=True, display=_days),
        Column("p90_days", _("90th percentile (calendar days)"), numeric=True, display=_days),
    ])
    table.rows = [{"month": m.month, "count": m.count, "median_days": m.median_days, "p90_days": m.p90_days}
                  for m in months]
    return table


@bp.get("/lead-time")
def lead_time() -> Any:
    session = db_session()
    scope_request = scope_from_args(session, request.args)
    table = lead_time_table(lead_times(session, scope_request.scope))
    spec = {
        "type": "bar",
        "labels": [format_date(row["month"], "MMM y") for row in table.rows],
        "datasets": [{"label": _("Median (calendar days)"), "data": [row["median_days"] for row in table.rows]},
                     {"label": _("90th percentile (calendar days)"), "data": [row["p90_days"] for row in table.rows]}],
    }
    return respond(table, lambda: render_template(
        "monitoring/reports_lead_time.html", table=table, chart_spec=spec,
        **filter_context(session, scope_request, shown=("period", "subtype", "project"))))
