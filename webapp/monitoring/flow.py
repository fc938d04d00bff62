"""The flow page (issue 6 part 3): dossiers opened and closed per week or month, broken down by
type, subtype, project, source of the request or journey stage, and the journey funnel. Each
chart has its table, each table exports (``?format=csv|xlsx&table=<name>``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.cases.models import DossierSubtype
from engine.monitoring.filters import Scope
from engine.monitoring.flow import BREAKDOWNS, INTERVALS, FlowReport, FunnelStep, flow_report, journey_funnel
from engine.monitoring.flow import next_bucket as _next_bucket
from webapp.context import db_session
from webapp.labels import (
    dossier_type_label,
    journey_stage_label,
    project_label,
    request_source_label,
    subtype_label,
)
from webapp.monitoring.blueprint import bp
from webapp.monitoring.filters import filter_context, scope_from_args
from webapp.monitoring.tables import Column, ReportTable, respond_any

FILTERS_SHOWN = ("period", "type", "subtype", "project")


def interval_choices() -> list[tuple[str, str]]:
    return [("week", _("Week")), ("month", _("Month"))]


def breakdown_choices() -> list[tuple[str, str]]:
    return [("type", _("Dossier type")), ("subtype", _("Subtype")), ("project", _("Project")),
            ("source", _("Source of the request")), ("stage", _("Journey stage"))]


def _choice(name: str, allowed: tuple[str, ...], default: str, errors: list[str]) -> str:
    value = (request.args.get(name) or "").strip() or default
    if value not in allowed:
        errors.append(_("Unknown choice %(value)s for %(name)s: choose one from the list.", value=value,
                        name=dict(breakdown=_("Breakdown"), interval=_("Per")).get(name, name)))
        return default
    return value


def bucket_label(key: str, interval: str) -> str:
    """2026-W10 for an ISO week, 2026-03 for a month: the same in every language."""
    day = dt.date.fromisoformat(key)
    if interval == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.strftime("%Y-%m")


def group_labeller(breakdown: str) -> Callable[[str | None], str]:
    """Words for the values of the breakdown; a missing value reads "Not given"."""
    if breakdown == "subtype":
        names = {str(s.id): subtype_label(s) for s in db_session().scalars(select(DossierSubtype))}
        by_code: Callable[[str], str] = lambda code: names.get(code, code)  # noqa: E731
    else:
        by_code = {"type": dossier_type_label, "project": project_label, "source": request_source_label,
                   "stage": journey_stage_label}[breakdown]
    return lambda code: _("Not given") if code is None else by_code(code)


def _opened_link(scope: Scope, key: str, interval: str) -> str:
    """The dossiers opened in the bucket, as a view (filterable, exportable)."""
    first = dt.date.fromisoformat(key)
    last = _next_bucket(first, interval) - dt.timedelta(days=1)
    filters = [f"created_at:between:{first.isoformat()}..{last.isoformat()}", "active:eq:true"]
    if scope.dossier_type:
        filters.append(f"type:eq:{scope.dossier_type}")
    return url_for("views.show", entity="dossiers", f=filters)


def flow_tables(report: FlowReport, scope: Scope, label: Callable[[str | None], str],
                funnel: list[FunnelStep]) -> tuple[ReportTable, ReportTable, ReportTable]:
    per = _("Week") if report.interval == "week" else _("Month")
    totals = ReportTable("flow", _("Dossiers opened and closed"), [
        Column("bucket", per), Column("start", _("From")), Column("opened", _("Opened"), numeric=True),
        Column("closed", _("Closed"), numeric=True)])
    for key in report.buckets:
        totals.rows.append({"bucket": bucket_label(key, report.interval), "start": dt.date.fromisoformat(key),
                            "opened": report.opened[key], "closed": report.closed[key],
                            "_link": _opened_link(scope, key, report.interval)})
    dimension = dict(breakdown_choices())[report.breakdown]
    breakdown = ReportTable("flow-breakdown", _("Opened and closed per %(dimension)s", dimension=dimension.lower()), [
        Column("bucket", per), Column("group", dimension), Column("opened", _("Opened"), numeric=True),
        Column("closed", _("Closed"), numeric=True)])
    for key in report.buckets:
        for group in report.groups:
            opened, closed = report.by_group.get((key, group), (0, 0))
            if opened or closed:
                breakdown.rows.append({"bucket": bucket_label(key, report.interval), "group": label(group),
                                       "opened": opened, "closed": closed})
    steps = ReportTable("funnel", _("Journeys per stage"), [
        Column("stage", _("Journey stage")), Column("reached", _("Journeys that reached it"), numeric=True),
        Column("moved_on", _("Moved on to the next stage"), numeric=True),
        Column("share", _("Share moved on (%)"), numeric=True)])
    for step in funnel:
        steps.rows.append({"stage": journey_stage_label(step.stage), "reached": step.reached,
                           "moved_on": step.moved_on,
                           "share": None if step.share is None else round(step.share * 100, 1)})
    return totals, breakdown, steps


def flow_charts(report: FlowReport, label: Callable[[str | None], str], totals: ReportTable,
                funnel: list[FunnelStep]) -> dict[str, dict[str, Any]]:
    labels = [bucket_label(key, report.interval) for key in report.buckets]
    return {
        "totals": {"type": "line", "labels": labels, "links": [row["_link"] for row in totals.rows],
                   "datasets": [{"label": _("Opened"), "data": [report.opened[k] for k in report.buckets]},
                                {"label": _("Closed"), "data": [report.closed[k] for k in report.buckets]}]},
        "breakdown": {"type": "bar", "stacked": True, "labels": labels, "datasets": [
            {"label": label(group), "data": [report.by_group.get((k, group), (0, 0))[0] for k in report.buckets]}
            for group in report.groups]},
        "funnel": {"type": "bar", "labels": [journey_stage_label(s.stage) for s in funnel], "datasets": [
            {"label": _("Journeys that reached it"), "data": [s.reached for s in funnel]},
            {"label": _("Moved on to the next stage"), "data": [s.moved_on or 0 for s in funnel]}]},
    }


@bp.get("/flow")
def flow() -> Any:
    session = db_session()
    scope_request = scope_from_args(session, request.args)
    errors = scope_request.errors
    interval = _choice("interval", INTERVALS, "month", errors)
    breakdown = _choice("breakdown", BREAKDOWNS, "type", errors)
    scope = scope_request.scope
    report = flow_report(session, scope, interval=interval, breakdown=breakdown)
    funnel = journey_funnel(session, scope)
    label = group_labeller(breakdown)
    tables = flow_tables(report, scope, label, funnel)

    def page() -> str:
        return render_template(
            "monitoring/flow.html", report=report, tables=tables, charts=flow_charts(report, label, tables[0], funnel),
            interval=interval, breakdown=breakdown, interval_choices=interval_choices(),
            breakdown_choices=breakdown_choices(), extra_filters={"interval": interval, "breakdown": breakdown},
            **filter_context(session, scope_request, FILTERS_SHOWN))

    return respond_any(tables, page)
