"""Where work piles up and what is stuck (issue 6 parts 4 and 5).

``/monitoring/workload``: open tasks per queue and per person, the overdue tasks and the tasks
nobody took for more than N days, each linked to the task, its dossier and the queue page where
a dispatcher reassigns it. ``/monitoring/incidents``: open incidents per operator with retry and
resolve (the same engine commands as the instance viewer, each with its reason in the history),
and the instances waiting on a timer, a message or a manager (suspended)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.monitoring import incidents as stuck
from engine.monitoring.filters import Scope
from engine.monitoring.workload import (
    DEFAULT_UNCLAIMED_DAYS,
    UNCLAIMED_DAYS_RANGE,
    TaskRow,
    Workload,
    workload,
)
from engine.workflow.errors import ConflictError, EngineError
from engine.workflow.models import Incident, IncidentStatus
from webapp.context import db_session, services
from webapp.instances.formatting import human_duration
from webapp.labels import dossier_type_label, process_text, queue_label, status_label
from webapp.monitoring.blueprint import bp
from webapp.monitoring.filters import filter_context, scope_from_args
from webapp.monitoring.tables import Column, ReportTable, respond_any
from webapp.transactions import run_command

DAY_SECONDS = 86400.0
MAX_REASON = 2000


def _days_display(value: Any) -> str:
    return human_duration(float(value) * DAY_SECONDS)


def _when(value: Any) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else str(value)


def _age_days(since: dt.datetime, now: dt.datetime) -> float:
    return round((now - since).total_seconds() / DAY_SECONDS, 3)


# ----------------------------------------------------------------------------- workload

def unclaimed_days(raw: str | None, errors: list[str]) -> int:
    """The N of "unclaimed for more than N days": a whole number from 1 to 365, else the default
    and a message saying what to write."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_UNCLAIMED_DAYS
    low, high = UNCLAIMED_DAYS_RANGE
    if not text.isdigit() or not low <= int(text) <= high:
        errors.append(_("The number of days %(value)s is not valid: write a whole number from %(low)s to "
                        "%(high)s.", value=text, low=low, high=high))
        return DEFAULT_UNCLAIMED_DAYS
    return int(text)


def _task_table(name: str, title: str, rows: list[TaskRow], now: dt.datetime, *, overdue: bool) -> ReportTable:
    late = Column("late_days", _("Overdue by (days)"), numeric=True, display=_days_display)
    waiting = Column("waiting_days", _("Waiting for (days)"), numeric=True, display=_days_display)
    table = ReportTable(name, title, [
        Column("task", _("Task")), Column("dossier", _("Dossier")), Column("type", _("Dossier type")),
        Column("queue", _("Queue")), Column("assignee", _("Assigned to")), Column("due_at", _("Due"), display=_when),
        late if overdue else waiting, Column("created_at", _("Created"), display=_when)])
    for row in rows:
        table.rows.append({
            "task": process_text(row.name), "dossier": row.dossier_number,
            "type": dossier_type_label(row.dossier_type) if row.dossier_type else None,
            "queue": queue_label(row.queue), "assignee": row.assignee_name or _("Unassigned"),
            "due_at": row.due_at, "created_at": row.created_at,
            "late_days": _age_days(row.due_at, now) if row.due_at else None,
            "waiting_days": _age_days(row.created_at, now),
            "_row": row,
        })
    return table


def workload_tables(load: Workload, scope: Scope) -> tuple[ReportTable, ...]:
    unclaimed_label = _("Unclaimed for more than %(n)s days", n=load.unclaimed_days)
    queues = ReportTable("workload-queues", _("Open tasks per queue"), [
        Column("queue", _("Queue")), Column("open", _("Open"), numeric=True),
        Column("overdue", _("Overdue"), numeric=True), Column("unassigned", _("Unassigned"), numeric=True),
        Column("unclaimed", unclaimed_label, numeric=True)])
    for row in load.per_queue:
        queues.rows.append({"queue": queue_label(row.key) if row.key else _("No queue"), "open": row.open,
                            "overdue": row.overdue, "unassigned": row.unassigned, "unclaimed": row.unclaimed,
                            "_link": url_for("queues.show", code=row.key) if row.key else None})
    people = ReportTable("workload-people", _("Open tasks per person"), [
        Column("person", _("Person")), Column("open", _("Open"), numeric=True),
        Column("overdue", _("Overdue"), numeric=True)])
    for row in load.per_person:
        args = {"assignee": str(row.key) if row.key is not None else "none"}
        if scope.queue:
            args["queue"] = scope.queue
        people.rows.append({"person": row.name if row.key is not None else _("Unassigned"), "open": row.open,
                            "overdue": row.overdue, "_link": url_for("tasks.index", **args)})
    overdue = _task_table("overdue-tasks", _("Overdue tasks"), load.overdue.rows, load.now, overdue=True)
    unclaimed = _task_table("unclaimed-tasks", unclaimed_label, load.unclaimed.rows, load.now, overdue=False)
    return queues, people, overdue, unclaimed


def workload_charts(queues: ReportTable, people: ReportTable) -> dict[str, dict[str, Any]]:
    return {
        "queues": {"type": "bar", "labels": [r["queue"] for r in queues.rows],
                   "links": [r["_link"] for r in queues.rows], "datasets": [
                       {"label": _("Open"), "data": [r["open"] for r in queues.rows]},
                       {"label": _("Overdue"), "data": [r["overdue"] for r in queues.rows]},
                       {"label": queues.columns[4].label, "data": [r["unclaimed"] for r in queues.rows]}]},
        "people": {"type": "bar", "horizontal": True, "labels": [r["person"] for r in people.rows],
                   "links": [r["_link"] for r in people.rows], "datasets": [
                       {"label": _("Open"), "data": [r["open"] for r in people.rows]},
                       {"label": _("Overdue"), "data": [r["overdue"] for r in people.rows]}]},
    }


@bp.get("/workload", endpoint="workload")
def workload_page() -> Any:
    session = db_session()
    scope_request = scope_from_args(session, request.args)
    days = unclaimed_days(request.args.get("days"), scope_request.errors)
    load = workload(session, scope_request.scope, unclaimed_days=days)
    tables = workload_tables(load, scope_request.scope)

    def page() -> str:
        return render_template(
            "monitoring/workload.html", load=load, tables=tables, charts=workload_charts(tables[0], tables[1]),
            days=days, days_range=UNCLAIMED_DAYS_RANGE, extra_filters={"days": str(days)},
            **filter_context(session, scope_request, ("type", "queue", "person")))

    return respond_any(tables, page)



# ----------------------------------------------------------------------------- incidents

def _case(subject: stuck.Subject) -> str:
    if subject.dossier_number:
        return subject.dossier_number
    if subject.subject_type:
        return f"{subject.subject_type} {subject.subject_id or ''}".strip()
    return process_text(subject.process_key)


def _subject_cells(subject: stuck.Subject) -> dict[str, Any]:
    return {"case": _case(subject), "instance": subject.instance_id, "process": subject.process_key,
            "_subject": subject}


def incident_tables(session: Session, scope: Scope, operator: str | None,
                    now: dt.datetime) -> tuple[tuple[ReportTable, ...], dict[str, stuck.Listing[Any]]]:
    """The page's five tables, and the listings behind the four lists (their full counts)."""
    groups = ReportTable("incidents-per-operator", _("Open incidents per operator"), [
        Column("operator", _("Operator")), Column("count", _("Open incidents"), numeric=True),
        Column("oldest", _("Oldest since"), display=_when)])
    for group in stuck.incidents_by_operator(session, scope):
        groups.rows.append({"operator": group.operator, "count": group.count, "oldest": group.oldest,
                            "_link": url_for("monitoring.incidents", **dict(request.args.to_dict(),
                                                                           operator=group.operator))})
    listing = stuck.open_incidents(session, scope, operator=operator)
    incidents = ReportTable("incidents", _("Open incidents"), [
        Column("id", _("Incident"), numeric=True), Column("operator", _("Operator")), Column("case", _("Case")),
        Column("instance", _("Instance"), numeric=True), Column("step", _("Step")),
        Column("error", _("Error")), Column("since", _("Since"), display=_when),
        Column("retries", _("Retries"), numeric=True), Column("status", _("Status"))])
    for row in listing.rows:
        incidents.rows.append({"id": row.id, "operator": row.operator, "step": row.bpmn_id, "error": row.error,
                               "since": row.created_at, "retries": row.retries,
                               "status": _("retrying") if row.status == IncidentStatus.RETRYING else _("open"),
                               **_subject_cells(row.subject)})
    timers = ReportTable("timers", _("Waiting on a timer"), [
        Column("case", _("Case")), Column("instance", _("Instance"), numeric=True),
        Column("timer_at", _("Timer due"), display=_when), Column("overdue", _("Past due")),
        Column("status", _("Status"))])
    timer_listing = stuck.waiting_on_timers(session, scope, now=now)
    for row in timer_listing.rows:
        timers.rows.append({"timer_at": row.timer_at, "overdue": _("yes") if row.overdue else _("no"),
                            "_overdue": row.overdue, "status": status_label(row.status), **_subject_cells(row.subject)})
    messages = ReportTable("messages", _("Waiting on a message"), [
        Column("case", _("Case")), Column("instance", _("Instance"), numeric=True),
        Column("message", _("Message")), Column("since", _("Last change"), display=_when)])
    message_listing = stuck.waiting_on_messages(session, scope)
    for row in message_listing.rows:
        messages.rows.append({"message": row.message_name, "since": row.since, **_subject_cells(row.subject)})
    suspended = ReportTable("suspended", _("Suspended instances"), [
        Column("case", _("Case")), Column("instance", _("Instance"), numeric=True),
        Column("since", _("Suspended since"), display=_when)])
    suspended_listing = stuck.suspended_instances(session, scope)
    for row in suspended_listing.rows:
        suspended.rows.append({"since": row.since, **_subject_cells(row.subject)})
    totals = {"incidents": listing, "timers": timer_listing, "messages": message_listing,
              "suspended": suspended_listing}
    return (groups, incidents, timers, messages, suspended), totals


@bp.get("/incidents")
def incidents() -> Any:
    session = db_session()
    scope_request = scope_from_args(session, request.args)
    operator = (request.args.get("operator") or "").strip()[:255] or None
    now = dt.datetime.now(dt.UTC)
    tables, totals = incident_tables(session, scope_request.scope, operator, now)

    def page() -> str:
        groups = tables[0]
        chart = {"type": "bar", "labels": [r["operator"] for r in groups.rows],
                 "links": [r["_link"] for r in groups.rows],
                 "datasets": [{"label": _("Open incidents"), "data": [r["count"] for r in groups.rows]}]}
        return render_template(
            "monitoring/incidents.html", tables=tables, totals=totals, operators_chart=chart, operator=operator,
            extra_filters={"operator": operator} if operator else {},
            **filter_context(session, scope_request, ("type",)))

    return respond_any(tables, page)


def _back() -> Any:
    return redirect(url_for("monitoring.incidents", **{k: v for k, v in request.args.items() if k != "format"}))


def _act(incident_id: int, command: Any, done: str) -> Any:
    """Run the engine command on an open incident; its refusal comes back as a message."""
    incident = db_session().get(Incident, incident_id)
    if incident is None or incident.status == IncidentStatus.RESOLVED:
        flash(_("This incident is already resolved or no longer exists; the list is up to date now."), "error")
        return _back()
    try:
        run_command(command)
    except ConflictError as exc:
        flash(_("Someone else changed this case meanwhile; nothing was changed. Reload the page and try "
                "again. (%(detail)s)", detail=str(exc)), "error")
    except (EngineError, ValueError) as exc:
        flash(_("Nothing was changed: %(reason)s", reason=str(exc)), "error")
    else:
        flash(done, "success")
    return _back()


def _text(name: str) -> str:
    return (request.form.get(name) or "").strip()[:MAX_REASON]


@bp.post("/incidents/<int:incident_id>/retry")
def retry_incident(incident_id: int) -> Any:
    reason = _text("reason")
    if not reason:
        flash(_("Give a reason: it is kept in the case's history."), "error")
        return _back()
    user_id, engine = current_user.id, services().engine
    return _act(incident_id, lambda s: engine.retry_incident(s, incident_id, user_id=user_id, reason=reason),
                _("The failed step runs again."))


@bp.post("/incidents/<int:incident_id>/resolve")
def resolve_incident(incident_id: int) -> Any:
    note = _text("note")
    if not note:
        flash(_("Write a note saying how the incident was resolved."), "error")
        return _back()
    user_id, engine = current_user.id, services().engine
    return _act(incident_id, lambda s: engine.resolve_incident(s, incident_id, user_id=user_id, note=note),
                _("The incident is resolved."))
