"""Human tasks: list, read (with the form's field description), claim, unclaim, complete."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.models import Role
from engine.workflow.errors import NotFound
from engine.workflow.models import HumanTask
from webapp.api import api_bp
from webapp.api.auth import TASK_WORKERS, current_principal
from webapp.api.i18n import request_locale, text
from webapp.api.instances import instance_detail
from webapp.api.operation import operation
from webapp.api.schemas import (
    CompleteResultSchema,
    FormDataSchema,
    TaskDetailSchema,
    TaskListArgs,
    TaskPageSchema,
    TaskSchema,
)
from webapp.api.util import json_body, load_query, paginate, run_command
from webapp.context import db_session, services


def get_task_or_404(session: Session, task_id: int) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"Task {task_id} does not exist.")
    return task


def describe_form(form_key: str | None) -> dict[str, Any] | None:
    """The fields a task's form expects, labels in the request's language."""
    forms = services().forms
    if not form_key or not forms.has(form_key):
        return None
    definition = forms.get(form_key)
    with request_locale():
        return {
            "key": form_key,
            "title": text(definition.title),
            "description": text(definition.description),
            "fields": [
                {
                    "name": spec.name,
                    "label": text(spec.label),
                    "widget": spec.widget,
                    "required": spec.required,
                    "multiple": spec.multiple,
                    "help": text(spec.help),
                    "choices": None if spec.choices is None else [
                        {"value": value, "label": text(label)} for value, label in spec.choices
                    ],
                }
                for spec in definition.fields()
            ],
        }


@api_bp.get("/tasks")
@operation(tag="tasks", summary="List human tasks, oldest first", roles=TASK_WORKERS,
           query=TaskListArgs, response=TaskPageSchema, errors=(422,))
def list_tasks() -> ResponseReturnValue:
    args = load_query(TaskListArgs)
    query = select(HumanTask)
    if args["state"] != "all":
        query = query.where(HumanTask.state == args["state"])
    assignee = args.get("assignee")
    if assignee == "me":
        query = query.where(HumanTask.assignee_id == current_principal().id)
    elif assignee == "none":
        query = query.where(HumanTask.assignee_id.is_(None))
    elif assignee:
        query = query.where(HumanTask.assignee_id == int(assignee))
    for name in ("queue", "process_key", "instance_id"):
        if args.get(name) is not None:
            query = query.where(getattr(HumanTask, name) == args[name])
    page = paginate(db_session(), query, HumanTask.id, args, descending=False)
    return jsonify(page.as_dict(TaskSchema(many=True).dump(page.items)))


@api_bp.get("/tasks/<int:task_id>")
@operation(tag="tasks", summary="One task, with the description of its form's fields", roles=TASK_WORKERS,
           response=TaskDetailSchema, errors=(404,),
           description="Field labels are given in the language of the Accept-Language header "
                       "(fr, nl or en), else in the token user's language.")
def get_task(task_id: int) -> ResponseReturnValue:
    task = get_task_or_404(db_session(), task_id)
    dumped = TaskSchema().dump(task)
    dumped["form"] = describe_form(task.form_key)
    return jsonify(dumped)


@api_bp.post("/tasks/<int:task_id>/claim")
@operation(tag="tasks", summary="Take a task (it must be unassigned)", roles=TASK_WORKERS,
           response=TaskSchema, errors=(404, 409))
def claim_task(task_id: int) -> ResponseReturnValue:
    user = current_principal()

    def claim(session: Session) -> dict[str, Any]:
        return TaskSchema().dump(services().engine.claim(session, task_id, user_id=user.id))

    return jsonify(run_command(claim))


@api_bp.post("/tasks/<int:task_id>/unclaim")
@operation(tag="tasks", summary="Release a task you hold (a dispatcher may release anyone's)",
           roles=TASK_WORKERS, response=TaskSchema, errors=(403, 404, 409))
def unclaim_task(task_id: int) -> ResponseReturnValue:
    user = current_principal()

    def unclaim(session: Session) -> dict[str, Any]:
        task = services().engine.unclaim(session, task_id, user_id=user.id, force=user.has_role(Role.DISPATCHER))
        return TaskSchema().dump(task)

    return jsonify(run_command(unclaim))


@api_bp.post("/tasks/<int:task_id>/complete")
@operation(tag="tasks", summary="Complete a task with its form data", roles=TASK_WORKERS,
           body=FormDataSchema, body_required=False, response=CompleteResultSchema,
           errors=(400, 403, 404, 409, 422),
           body_description="The form data: a JSON object whose fields are described by GET /api/tasks/{task_id}. "
                            "It is validated by the task's form exactly as in the web app; nothing is saved "
                            "when a field is invalid (422 with error.fields).",
           description="Answers 409 when someone else completed the task first, or when the case is "
                       "suspended or ended. A lost race on the case itself is retried once automatically.")
def complete_task(task_id: int) -> ResponseReturnValue:
    data = json_body(required=False)
    user = current_principal()
    engine = services().engine

    def complete(session: Session) -> dict[str, Any]:
        instance = engine.complete(session, task_id, data, user_id=user.id,
                                   may_override_assignee=user.has_role(Role.MANAGER))
        task = get_task_or_404(session, task_id)
        return {"task": TaskSchema().dump(task), "instance": instance_detail(session, instance)}

    return jsonify(run_command(complete, retry_stale=True))
