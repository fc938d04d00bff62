"""The report builder (/monitoring/reports) and the saved reports.

A manager picks one or two row dimensions and the measures, a period and filters; the page shows
the table (and a chart of the first measure) computed by engine/monitoring/reports.py, exports
it, and saves the definition under a name, optionally mailed monthly as an Excel file
(engine/monitoring/report_jobs.py, rendered by :mod:`webapp.monitoring.report_mail`).

The page is a GET form: a saved report opens as the builder's URL with its definition, so what
is on screen, the export and the saved definition are the same thing. Every route that names a
saved report checks it belongs to the signed-in manager (administrators see all)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from engine.cases.models import DossierSubtype, DossierType
from engine.monitoring.reports import (
    BASE_MEASURES,
    FILTER_KEYS,
    MAX_ROWS,
    ROW_DIMENSIONS,
    SUM_PREFIX,
    InvalidReport,
    ReportDefinition,
    ReportProblem,
    ReportResult,
    SavedReport,
    delete_report,
    parse_definition,
    report_for,
    reports_of,
    run_report,
    save_report,
)
from engine.workflow.errors import Forbidden, NotFound
from forms.registry import FormRegistry
from webapp.context import db_session, services
from webapp.labels import PHASES, dossier_type_label, phase_label, project_label, subtype_label
from webapp.monitoring.blueprint import bp
from webapp.monitoring.board import duration_text
from webapp.monitoring.filters import filter_context, scope_from_args
from webapp.monitoring.tables import Column, ReportTable, respond
from webapp.transactions import command_transaction

ROW_LABELS: dict[str, Any] = {
    "type": _l("Dossier type"),
    "subtype": _l("Subtype"),
    "project": _l("Project"),
    "phase": _l("Current phase"),
    "municipality": _l("Municipality"),
    "housing_type": _l("Housing type"),
}

MEASURE_LABELS: dict[str, Any] = {
    "count": _l("Dossiers on file"),
    "opened": _l("Opened in the period"),
    "closed": _l("Closed in the period"),
    "median_lead_time": _l("Median lead time (days)"),
}

# Amount facts as the reports name their sums (the forms declare them: forms/loans.py, premiums.py)
FACT_LABELS: dict[str, Any] = {
    "premium_requested_amount": _l("Premiums requested (EUR)"),
    "premium_granted_amount": _l("Premiums granted (EUR)"),
    "premium_paid_amount": _l("Premiums paid (EUR)"),
    "loan_requested_amount": _l("Loans requested (EUR)"),
    "loan_granted_amount": _l("Loans granted (EUR)"),
    "loan_paid_out_amount": _l("Loans paid out (EUR)"),
}

DEFAULT_ROWS = ("type",)
DEFAULT_MEASURES = ("count", "opened", "closed")


def amount_facts(forms: FormRegistry) -> dict[str, str]:
    """The facts that can be summed (the forms' amount fields) -> their label."""
    out = {}
    for fact, declared in forms.fact_fields().items():
        if all(isinstance(f, fields.Decimal | fields.Integer | fields.Float) for _key, f in declared):
            out[fact] = str(FACT_LABELS.get(fact) or declared[0][1].metadata.get("label", fact))
    return out


def measure_label(measure: str, amounts: dict[str, str]) -> str:
    if measure.startswith(SUM_PREFIX):
        fact = measure[len(SUM_PREFIX):]
        return amounts.get(fact) or str(FACT_LABELS.get(fact, fact))
    return str(MEASURE_LABELS.get(measure, measure))


def housing_type_label(code: str | None) -> str:
    from webapp.places.forms import HOUSING_TYPES

    if not code:
        return _("Not known")
    return str(HOUSING_TYPES.get(code, code))


def dimension_label(session: Session, dimension: str, value: Any) -> str:
    if dimension == "type":
        return dossier_type_label(value)
    if dimension == "phase":
        return phase_label(value) if value else _("Not started")
    if dimension == "project":
        return project_label(value) if value else _("No project")
    if dimension == "subtype":
        return subtype_label(session.get(DossierSubtype, value)) if value is not None else _("No subtype")
    if dimension == "housing_type":
        return housing_type_label(value)
    if dimension == "municipality":
        return value or _("No site address")
    return str(value)


def problem_message(problem: ReportProblem) -> str:
    """A definition or saving problem, said so that the manager knows what to change."""
    messages = {
        "rows_missing": _("Choose at least one row (for example the dossier type)."),
        "rows_too_many": _("Choose at most %(max)d rows.", max=MAX_ROWS),
        "row_unknown": _("Unknown row %(value)s: choose one from the list.", value=problem.value),
        "row_repeated": _("Choose two different rows, or only one."),
        "measures_missing": _("Choose at least one measure (for example the number of dossiers)."),
        "measure_unknown": _("Unknown measure %(value)s: choose one from the list.", value=problem.value),
        "name_missing": _("Give the report a name."),
        "name_too_long": _("Shorten the name to %(max)s characters at most.", max=problem.value),
        "name_taken": _("You already have a report called “%(value)s”: choose another name.",
                        value=problem.value),
        "schedule_unknown": _("Unknown schedule %(value)s: choose monthly or none.", value=problem.value),
        "recipients_missing": _("Give at least one e-mail address to send the monthly report to."),
        "recipient_invalid": _("“%(value)s” is not an e-mail address: write it as name@example.org.",
                               value=problem.value),
    }
    return messages.get(problem.code, problem.code)


def _amount_text(value: Any) -> str:
    return format_decimal(value, format="#,##0.00")


def report_table(session: Session, result: ReportResult, amounts: dict[str, str], *, name: str = "report",
                 title: str | None = None) -> ReportTable:
    columns = [Column(row, str(ROW_LABELS[row])) for row in result.rows]
    for measure in result.measures:
        display = duration_text if measure == "median_lead_time" else (
            _amount_text if measure.startswith(SUM_PREFIX) else None)
        columns.append(Column(measure, measure_label(measure, amounts), numeric=True, display=display))
    table = ReportTable(name, title or _("Report"), columns)
    lines = []
    for line in result.lines:
        row = {key: line[key] for key in result.measures}
        row.update({dimension: dimension_label(session, dimension, line[dimension]) for dimension in result.rows})
        order = tuple(_order(dimension, line[dimension], row[dimension]) for dimension in result.rows)
        lines.append((order, row))
    table.rows = [row for _order_key, row in sorted(lines, key=lambda item: item[0])]
    return table


_TYPE_ORDER = {code.value: position for position, code in enumerate(DossierType)}
_PHASE_ORDER = {code: position for position, code in enumerate(PHASES)}


def _order(dimension: str, code: Any, label: str) -> tuple[int, int, str]:
    """Rows in the reader's order: types and phases as the flows go, the rest by label; the
    rows without a value last."""
    if code is None or code == "":
        return (1, 0, "")
    if dimension == "type":
        return (0, _TYPE_ORDER.get(code, len(_TYPE_ORDER)), label.casefold())
    if dimension == "phase":
        return (0, _PHASE_ORDER.get(code, len(_PHASE_ORDER)), label.casefold())
    return (0, 0, label.casefold())


def chart_spec(table: ReportTable, result: ReportResult, amounts: dict[str, str]) -> dict[str, Any]:
    measure = result.measures[0]
    labels = [" · ".join(str(row[d]) for d in result.rows) for row in table.rows]
    data = [row.get(measure) for row in table.rows]
    return {"type": "bar", "labels": labels, "horizontal": len(labels) > 12,
            "datasets": [{"label": measure_label(measure, amounts), "data": data}]}


def definition_args(definition: ReportDefinition, report_id: int | None = None) -> MultiDict[str, str]:
    args: MultiDict[str, str] = MultiDict()
    for row in definition.rows:
        args.add("rows", row)
    for measure in definition.measures:
        args.add("measures", measure)
    for key, value in definition.filters.items():
        args.add(key, value)
    if report_id is not None:
        args.add("report", str(report_id))
    return args


def _signed_in_user() -> Any:
    return current_user.user


def _saved(session: Session, report_id: int) -> SavedReport:
    try:
        return report_for(session, report_id, _signed_in_user())
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)


def _report_arg(session: Session, args: MultiDict[str, str]) -> SavedReport | None:
    value = args.get("report", "")
    if not value:
        return None
    if not value.isdigit():
        abort(404)
    return _saved(session, int(value))


def _render(session: Session, args: MultiDict[str, str], *, save_errors: Sequence[str] = (),
            save_values: dict[str, str] | None = None, status: int = 200) -> Any:
    amounts = amount_facts(services().forms)
    scope_request = scope_from_args(session, args)
    current = _report_arg(session, args)
    chosen_rows = args.getlist("rows") if "rows" in args or "measures" in args else list(DEFAULT_ROWS)
    chosen_measures = args.getlist("measures") if "rows" in args or "measures" in args else list(DEFAULT_MEASURES)
    problems: list[str] = []
    table = None
    chart = None
    try:
        definition = parse_definition(chosen_rows, chosen_measures, scope_request.values, amount_facts=amounts)
    except InvalidReport as error:
        problems = [problem_message(p) for p in error.problems]
        definition = None
    if definition is not None:
        result = run_report(session, definition, scope_request.scope)
        table = report_table(session, result, amounts, name=current.name if current else "report",
                             title=current.name if current else _("Report"))
        chart = chart_spec(table, result, amounts)
        exported = respond(table, lambda: None)
        if exported is not None:
            return exported
    measure_choices = [(m, measure_label(m, amounts)) for m in BASE_MEASURES]
    measure_choices += [(f"{SUM_PREFIX}{fact}", label) for fact, label in sorted(amounts.items())]
    saved_values = save_values or {
        "name": current.name if current else "",
        "schedule": (current.schedule or "") if current else "",
        "recipients": ", ".join(current.recipients) if current else "",
    }
    hidden = [(key, value) for key, value in definition_args(definition).items(multi=True)] if definition else []
    context = {
        **filter_context(session, scope_request, shown=("period", "type", "subtype", "project")),
        "row_choices": [(r, str(ROW_LABELS[r])) for r in ROW_DIMENSIONS],
        "measure_choices": measure_choices,
        "chosen_rows": chosen_rows + [""] * (MAX_ROWS - len(chosen_rows)),
        "chosen_measures": chosen_measures,
        "problems": problems,
        "table": table,
        "report_chart": chart,
        "current": current,
        "saved_reports": reports_of(session, _signed_in_user()),
        "save_hidden": hidden,
        "save_errors": save_errors,
        "save_values": saved_values,
        "extra_filters": {"report": str(current.id)} if current else {},
    }
    return render_template("monitoring/reports.html", **context), status


@bp.get("/reports")
def reports() -> Any:
    return _render(db_session(), request.args)


@bp.get("/reports/<int:report_id>")
def saved_report(report_id: int) -> Any:
    """Open a saved report: the builder with its definition (the checks are the builder's)."""
    session = db_session()
    report = _saved(session, report_id)
    args = MultiDict()
    for key in ("rows", "measures"):
        for value in report.definition.get(key) or []:
            args.add(key, value)
    for key, value in (report.definition.get("filters") or {}).items():
        if key in FILTER_KEYS:
            args.add(key, value)
    args.add("report", str(report.id))
    return redirect(url_for("monitoring.reports", **args.to_dict(flat=False)))


@bp.post("/reports/save")
def save_saved_report() -> Any:
    """Save the definition on screen under a name: a new report, the one of that name, or (with
    ``update``) the saved report being edited."""
    session = db_session()
    form = request.form
    amounts = amount_facts(services().forms)
    values = {"name": form.get("name", ""), "schedule": form.get("schedule", ""),
              "recipients": form.get("recipients", "")}
    builder_args = MultiDict([(key, value) for key, value in form.items(multi=True)
                              if key in ("rows", "measures", "report", *FILTER_KEYS)])
    try:
        with command_transaction():
            existing = _report_arg(session, builder_args) if form.get("update") else None
            definition = parse_definition(form.getlist("rows"), form.getlist("measures"),
                                          {k: form.get(k, "") for k in FILTER_KEYS}, amount_facts=amounts)
            report = save_report(session, _signed_in_user(), values["name"], definition,
                                 schedule=values["schedule"] or None, recipients=values["recipients"],
                                 report_id=existing.id if existing else None)
            report_id, name = report.id, report.name
    except InvalidReport as error:
        return _render(session, builder_args, save_errors=[problem_message(p) for p in error.problems],
                       save_values=values, status=400)
    flash(_("The report “%(name)s” is saved.", name=name), "success")
    return redirect(url_for("monitoring.saved_report", report_id=report_id))


@bp.post("/reports/<int:report_id>/delete")
def delete_saved_report(report_id: int) -> Any:
    with command_transaction() as session:
        report = _saved(session, report_id)
        name = report.name
        delete_report(session, report.id, _signed_in_user())
    flash(_("The report “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("monitoring.reports"))
