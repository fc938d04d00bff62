"""Task list, claim / release, and the task page with its generic form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.access.models import Role
from engine.workflow.errors import ConflictError, Forbidden, FormInvalid, InvalidState
from engine.workflow.models import HumanTask, HumanTaskState
from engine.workflow.runtime import TaskAlreadyDone
from forms.html_input import display_values, errors_by_field, schema_input, submitted_values
from forms.registry import FormDefinition
from webapp.auth import BACK_OFFICE, roles_guard
from webapp.context import db_session, services
from webapp.labels import process_text
from webapp.navigation import safe_next_url
from webapp.tasks import messages
from webapp.tasks.queries import available_tasks, dossier_of_task, my_tasks
from webapp.tasks.queues import can_take
from webapp.transactions import run_command

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
bp.before_request(roles_guard(*BACK_OFFICE))


@bp.get("/")
def index() -> Any:
    session = db_session()
    return render_template(
        "tasks/index.html",
        mine=my_tasks(session, current_user),
        available=available_tasks(session, current_user),
    )


def _task_or_404(task_id: int) -> HumanTask:
    task = db_session().get(HumanTask, task_id)
    if task is None:
        abort(404)
    return task


def _may_see(task: HumanTask) -> bool:
    return (
        task.assignee_id == current_user.id
        or task.completed_by_id == current_user.id
        or can_take(current_user, task.queue)
        or current_user.has_role(Role.DISPATCHER, Role.MANAGER)
    )


def _may_complete(task: HumanTask) -> bool:
    if task.assignee_id is not None:
        return task.assignee_id == current_user.id
    return can_take(current_user, task.queue)


def _definition(task: HumanTask) -> FormDefinition | None:
    forms = services().forms
    return forms.get(task.form_key) if task.form_key and forms.has(task.form_key) else None


def _initial_values(task: HumanTask, definition: FormDefinition | None) -> dict[str, Any]:
    if definition is None:
        return {}
    try:
        data = services().engine.task_data(task.instance)
    except Exception:  # the form must open even when the case data cannot be read
        return {}
    return display_values(definition, data)


def _render(task: HumanTask, *, values: dict[str, Any], errors: dict[str, list[str]] | None = None,
            problem: str | None = None, can_submit: bool = True, status: int = 200) -> Any:
    session = db_session()
    definition = _definition(task)
    errors = errors or {}
    return render_template(
        "tasks/show.html",
        task=task,
        task_name=process_text(task.name),
        dossier=dossier_of_task(session, task),
        definition=definition,
        fields=definition.fields() if definition else [],
        values=values,
        errors=errors,
        general_errors=errors.get("_schema", []),
        problem=problem,
        is_open=task.state == HumanTaskState.READY,
        may_complete=task.state == HumanTaskState.READY and _may_complete(task),
        can_submit=can_submit,
        assignee_name=messages.user_name(session, task.assignee_id),
        completed_by_name=messages.user_name(session, task.completed_by_id),
        can_release=task.assignee_id is not None and (
            task.assignee_id == current_user.id or current_user.has_role(Role.DISPATCHER)),
    ), status


@bp.get("/<int:task_id>")
def show(task_id: int) -> Any:
    task = _task_or_404(task_id)
    if not _may_see(task):
        abort(403)
    values = _initial_values(task, _definition(task)) if task.state == HumanTaskState.READY else {}
    return _render(task, values=values)


@bp.post("/<int:task_id>")
def complete(task_id: int) -> Any:
    task = _task_or_404(task_id)
    if not _may_see(task):
        abort(403)
    definition = _definition(task)
    data = schema_input(definition, request.form) if definition else {}
    values = submitted_values(definition, request.form) if definition else {}
    if task.state == HumanTaskState.READY and not _may_complete(task):
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
    flash(_("“%(task)s” is done.", task=process_text(task.name)), "success")
    dossier = dossier_of_task(db_session(), task)
    if dossier is not None:
        return redirect(url_for("dossiers.show", dossier_id=dossier.id))
    return redirect(url_for("tasks.index"))


def _back(task_id: int) -> Any:
    return redirect(safe_next_url(request.form.get("next")) or url_for("tasks.show", task_id=task_id))


@bp.post("/<int:task_id>/claim")
def claim(task_id: int) -> Any:
    task = _task_or_404(task_id)
    if not can_take(current_user, task.queue):
        abort(403)
    user_id = current_user.id
    try:
        run_command(lambda session: services().engine.claim(session, task_id, user_id=user_id))
    except TaskAlreadyDone:
        flash(messages.already_done_message(db_session(), task), "error")
        return _back(task_id)
    except ConflictError:
        flash(_("Someone else took this task just before you."), "error")
        return _back(task_id)
    flash(_("“%(task)s” is now yours.", task=process_text(task.name)), "success")
    return _back(task_id)


@bp.post("/<int:task_id>/release")
def release(task_id: int) -> Any:
    task = _task_or_404(task_id)
    force = current_user.has_role(Role.DISPATCHER)
    user_id = current_user.id
    try:
        run_command(lambda session: services().engine.unclaim(session, task_id, user_id=user_id, force=force))
    except Forbidden:
        abort(403)
    except ConflictError:
        flash(_("This task is no longer open."), "error")
        return _back(task_id)
    flash(_("“%(task)s” is back in its queue.", task=process_text(task.name)), "info")
    return redirect(safe_next_url(request.form.get("next")) or url_for("tasks.index"))
