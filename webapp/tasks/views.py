"""Task list, claim / release, due and follow-up dates, and the task page with its generic form.

Every action works as a plain POST followed by a redirect. When htmx sends it (``HX-Request``)
from the task list, the answer is the task's part of the list instead (``tasks/_item.html``: its
row, and the task form opened in place under it), so the list changes without a page reload; an
error comes back in that same place, with the status code a full page would have had.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine.access.models import Role, User
from engine.cases.models import DossierType
from engine.cases.phases import PHASE_FLOWS
from engine.queues.models import Queue
from engine.workflow.errors import ConflictError, Forbidden, FormInvalid, InvalidState
from engine.workflow.models import HumanTask, HumanTaskState
from engine.workflow.runtime import TaskAlreadyDone
from forms.html_input import errors_by_field, schema_input, submitted_values
from webapp.auth import BACK_OFFICE, roles_guard
from webapp.context import db_session, services
from webapp.labels import QUEUES, process_text
from webapp.navigation import safe_next_url
from webapp.tasks import messages
from webapp.tasks.dates import end_of_day, local_day, parse_day, start_of_day
from webapp.tasks.filters import TaskFilter, parse_filter
from webapp.tasks.panel import (
    definition_of,
    initial_values,
    may_complete,
    may_plan,
    may_see,
    panel_context,
)
from webapp.tasks.queries import TaskPage, dossier_of_task, task_page, task_row
from webapp.tasks.queues import can_take, takeable_among
from webapp.tasks.rendering import row_context
from webapp.transactions import run_command

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
bp.before_request(roles_guard(*BACK_OFFICE))


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _list_url() -> str:
    """Where the list this request came from is (kept in ``next``), for links and redirects."""
    return safe_next_url(request.values.get("next")) or url_for("tasks.index")


# ----------------------------------------------------------------------------- the list

def _filter_choices() -> dict[str, Any]:
    """What the filter form offers to choose from."""
    session = db_session()
    # the queues Guichet names itself and those an administrator configured (shown by their label)
    queues = set(QUEUES) | set(session.scalars(select(Queue.code)))
    phases: list[str] = []
    for flow in PHASE_FLOWS.values():
        phases.extend(phase for phase in flow if phase not in phases)
    colleagues = session.execute(
        select(User.id, User.name).where(User.active.is_(True), User.id != current_user.id)
        .order_by(User.name).limit(500)
    ).all()
    return {
        "queues": sorted(queues),
        "types": [t.value for t in DossierType],
        "phases": phases,
        "colleagues": colleagues,
    }


AVAILABLE_PREVIEW = 10  # unassigned tasks shown under "my tasks" on the default list


@bp.get("/")
def index() -> Any:
    session = db_session()
    flt = parse_filter(request.args)
    page = (task_page(session, current_user, flt) if not flt.errors
            else TaskPage([], None, dt.datetime.now(dt.UTC)))
    available = None
    if not flt.errors and not flt.query_args():  # the default list: mine, then what I can take
        available = task_page(session, current_user, TaskFilter(assignee="available"), size=AVAILABLE_PREVIEW)
    unassigned = {row.task.queue for p in (page, available) if p is not None for row in p.rows
                  if row.task.assignee_id is None}
    list_url = request.full_path if request.query_string else request.path
    return render_template(
        "tasks/index.html",
        flt=flt,
        page=page,
        available=available,
        takeable=takeable_among(current_user, unassigned),
        may_release_any=current_user.has_role(Role.DISPATCHER),
        choices=_filter_choices(),
        list_url=list_url,
        ctx=row_context(list_url, page.now),
    ), (400 if flt.errors else 200)


# ----------------------------------------------------------------------------- one task

def _task_or_404(task_id: int) -> HumanTask:
    task = db_session().get(HumanTask, task_id)
    if task is None:
        abort(404)
    return task


def _dates_values(task: HumanTask) -> dict[str, str]:
    due, follow_up = local_day(task.due_at), local_day(task.follow_up_at)
    return {"due_date": due.isoformat() if due else "", "follow_up_date": follow_up.isoformat() if follow_up else ""}


def _render(task: HumanTask, *, values: dict[str, Any], errors: dict[str, list[str]] | None = None,
            problem: str | None = None, can_submit: bool = True, status: int = 200, expanded: bool = True,
            notice: str | None = None, dates: dict[str, str] | None = None,
            dates_errors: dict[str, str] | None = None) -> Any:
    """The task page, or (for htmx) the task's part of the list, with the form opened when
    ``expanded``; both draw the form with the same template (tasks/_panel.html)."""
    session = db_session()
    context = panel_context(
        session, task, values=values, errors=errors or {}, problem=problem, can_submit=can_submit,
        dates=dates if dates is not None else _dates_values(task), dates_errors=dates_errors or {},
    )
    if _is_htmx():
        row = task_row(session, task.id)
        return render_template(
            "tasks/_item.html", **context, row=row, expanded=expanded, notice=notice, list_url=_list_url(),
            ctx=row_context(_list_url(), dt.datetime.now(dt.UTC)), inline=True,
        ), status
    return render_template("tasks/show.html", **context, list_url=_list_url(), inline=False), status


@bp.get("/<int:task_id>")
def show(task_id: int) -> Any:
    task = _task_or_404(task_id)
    if not may_see(task):
        return _refused(task_id)
    values = initial_values(task, definition_of(task)) if task.state == HumanTaskState.READY else {}
    return _render(task, values=values)


@bp.get("/<int:task_id>/row")
def row(task_id: int) -> Any:
    """The task's row with its form closed (htmx); without htmx, back to the list."""
    task = _task_or_404(task_id)
    if not may_see(task):
        return _refused(task_id)
    if not _is_htmx():
        return redirect(_list_url())
    return _render(task, values={}, expanded=False)


def _refused(task_id: int) -> Any:
    """Not this person's task (any more): a 403 page, or for htmx the row leaves with a message."""
    if not _is_htmx():
        abort(403)
    return _closed(task_id, _("You cannot act on this task: it is not yours and not in one of your queues.")), 403


def _closed(task_id: int, message: str) -> Any:
    """htmx: the task is gone from the list (an empty part) and the list says why."""
    return render_template("tasks/_item.html", task_id=task_id, row=None, notice=message, inline=True)


@bp.post("/<int:task_id>")
def complete(task_id: int) -> Any:
    task = _task_or_404(task_id)
    if not may_see(task):
        return _refused(task_id)
    definition = definition_of(task)
    data = schema_input(definition, request.form) if definition else {}
    values = submitted_values(definition, request.form) if definition else {}
    if task.state == HumanTaskState.READY and not may_complete(task):
        session = db_session()
        return _render(task, values=values, problem=messages.assigned_elsewhere_message(session, task),
                       can_submit=False, status=403)
    user_id = current_user.id
    try:
        run_command(lambda session: services().engine.complete(session, task_id, data, user_id=user_id))
    except FormInvalid as exc:
        errors = errors_by_field(definition, exc.errors) if definition else exc.errors
        return _render(task, values=values, errors=errors,
                       problem=_("Some fields need your attention; nothing was saved yet."), status=422)
    except TaskAlreadyDone:
        db_session().refresh(task)
        return _render(task, values=values, problem=messages.already_done_message(db_session(), task),
                       can_submit=False, status=409)
    except ConflictError:
        return _render(task, values=values, problem=messages.changed_meanwhile_message(), status=409)
    except Forbidden:
        return _render(task, values=values, problem=messages.assigned_elsewhere_message(db_session(), task),
                       can_submit=False, status=403)
    except InvalidState:
        return _render(task, values=values, problem=messages.not_runnable_message(), can_submit=False,
                       status=409)
    done = _("“%(task)s” is done.", task=process_text(task.name))
    if _is_htmx():
        return _closed(task_id, done)
    flash(done, "success")
    dossier = dossier_of_task(db_session(), task)
    if dossier is not None:
        return redirect(url_for("dossiers.show", dossier_id=dossier.id))
    return redirect(url_for("tasks.index"))


def _back(task_id: int) -> Any:
    return redirect(safe_next_url(request.form.get("next")) or url_for("tasks.show", task_id=task_id))


def _after_action(task_id: int, message: str, category: str) -> Any:
    """htmx: the task's row drawn again with ``message`` under it; otherwise flash and go back."""
    if _is_htmx():
        task = _task_or_404(task_id)
        db_session().refresh(task)
        if task.state != HumanTaskState.READY:
            return _closed(task_id, message)
        return _render(task, values={}, expanded=False, notice=message)
    flash(message, category)
    return _back(task_id)


@bp.post("/<int:task_id>/claim")
def claim(task_id: int) -> Any:
    task = _task_or_404(task_id)
    if not can_take(current_user, task.queue):
        return _refused(task_id)
    user_id = current_user.id
    try:
        run_command(lambda session: services().engine.claim(session, task_id, user_id=user_id))
    except TaskAlreadyDone:
        db_session().refresh(task)
        return _after_action(task_id, messages.already_done_message(db_session(), task), "error")
    except ConflictError:
        return _after_action(task_id, _("Someone else took this task just before you."), "error")
    return _after_action(task_id, _("“%(task)s” is now yours.", task=process_text(task.name)), "success")


@bp.post("/<int:task_id>/release")
def release(task_id: int) -> Any:
    task = _task_or_404(task_id)
    force = current_user.has_role(Role.DISPATCHER)
    user_id = current_user.id
    try:
        run_command(lambda session: services().engine.unclaim(session, task_id, user_id=user_id, force=force))
    except Forbidden:
        return _refused(task_id)
    except ConflictError:
        return _after_action(task_id, _("This task is no longer open."), "error")
    message = _("“%(task)s” is back in its queue.", task=process_text(task.name))
    if _is_htmx():
        return _after_action(task_id, message, "info")
    flash(message, "info")
    return redirect(safe_next_url(request.form.get("next")) or url_for("tasks.index"))


# ----------------------------------------------------------------------------- due and follow-up dates

def _dates_from_form() -> tuple[dict[str, dt.date | None], dict[str, str]]:
    days: dict[str, dt.date | None] = {}
    errors: dict[str, str] = {}
    for name in ("due_date", "follow_up_date"):
        text = (request.form.get(name) or "").strip()
        try:
            days[name] = parse_day(text) if text else None
        except ValueError:
            errors[name] = _("“%(value)s” is not a date: use YYYY-MM-DD, for example 2026-03-31.", value=text)
    return days, errors


@bp.post("/<int:task_id>/dates")
def set_dates(task_id: int) -> Any:
    task = _task_or_404(task_id)
    if not may_see(task):
        return _refused(task_id)
    submitted = {name: request.form.get(name, "") for name in ("due_date", "follow_up_date")}
    values = initial_values(task, definition_of(task)) if task.state == HumanTaskState.READY else {}
    if task.state == HumanTaskState.READY and not may_plan(task):
        return _render(task, values=values, problem=messages.assigned_elsewhere_message(db_session(), task),
                       dates=submitted, status=403)
    days, errors = _dates_from_form()
    if errors:
        return _render(task, values=values, dates=submitted, dates_errors=errors, status=422,
                       problem=_("The dates were not saved: correct the marked field."))
    due = days["due_date"]
    follow_up = days["follow_up_date"]
    user_id = current_user.id
    try:
        run_command(lambda session: services().engine.set_task_dates(
            session, task_id, due_at=end_of_day(due) if due else None,
            follow_up_at=start_of_day(follow_up) if follow_up else None, user_id=user_id))
    except TaskAlreadyDone:
        db_session().refresh(task)
        return _render(task, values={}, problem=messages.already_done_message(db_session(), task),
                       can_submit=False, dates=submitted, status=409)
    except ConflictError:
        return _render(task, values=values, problem=messages.changed_meanwhile_message(), dates=submitted,
                       status=409)
    return _after_action(task_id, _("The dates of “%(task)s” were saved.", task=process_text(task.name)),
                         "success")

