"""What the task page and the task opened in place in the list share: who may do what with a
task, and the context of the template that draws its form (tasks/_panel.html)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy.orm import Session

from engine.access.models import Role
from engine.workflow.models import HumanTask, HumanTaskState
from forms.html_input import display_values
from forms.registry import FormDefinition
from webapp.context import services
from webapp.labels import process_text
from webapp.tasks import messages
from webapp.tasks.queries import dossier_of_task
from webapp.tasks.queues import can_take


def may_see(task: HumanTask) -> bool:
    return (
        task.assignee_id == current_user.id
        or task.completed_by_id == current_user.id
        or can_take(current_user, task.queue)
        or current_user.has_role(Role.DISPATCHER, Role.MANAGER)
    )


def may_complete(task: HumanTask) -> bool:
    if task.assignee_id is not None:
        return bool(task.assignee_id == current_user.id)
    return can_take(current_user, task.queue)


def may_plan(task: HumanTask) -> bool:
    """Due and follow-up dates: whoever may complete the task, and dispatchers and managers, who
    plan the work of others."""
    return may_complete(task) or current_user.has_role(Role.DISPATCHER, Role.MANAGER)


def may_release(task: HumanTask) -> bool:
    return task.assignee_id is not None and (
        task.assignee_id == current_user.id or current_user.has_role(Role.DISPATCHER))


def definition_of(task: HumanTask) -> FormDefinition | None:
    forms = services().forms
    return forms.get(task.form_key) if task.form_key and forms.has(task.form_key) else None


def initial_values(task: HumanTask, definition: FormDefinition | None) -> dict[str, Any]:
    if definition is None:
        return {}
    try:
        data = services().engine.task_data(task.instance)
    except Exception:  # the form must open even when the case data cannot be read
        return {}
    return display_values(definition, data)


def panel_context(session: Session, task: HumanTask, *, values: dict[str, Any], errors: dict[str, list[str]],
                  problem: str | None, can_submit: bool, dates: dict[str, str],
                  dates_errors: dict[str, str]) -> dict[str, Any]:
    definition = definition_of(task)
    is_open = task.state == HumanTaskState.READY
    return {
        "task": task,
        "task_id": task.id,
        "task_name": process_text(task.name),
        "dossier": dossier_of_task(session, task),
        "definition": definition,
        "fields": definition.fields() if definition else [],
        "values": values,
        "errors": errors,
        "general_errors": errors.get("_schema", []),
        "problem": problem,
        "is_open": is_open,
        "may_complete": is_open and may_complete(task),
        "may_plan": is_open and may_plan(task),
        "may_take": is_open and task.assignee_id is None and can_take(current_user, task.queue),
        "can_submit": can_submit,
        "assignee_name": messages.user_name(session, task.assignee_id),
        "completed_by_name": messages.user_name(session, task.completed_by_id),
        "can_release": is_open and may_release(task),
        "dates": dates,
        "dates_errors": dates_errors,
    }
