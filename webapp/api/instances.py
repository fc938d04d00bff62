"""Process instances: list, read, start, suspend / resume / terminate, audit history."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.privacy.access_log import Actor
from engine.privacy.models import AccessAction, RecordType
from engine.workflow.errors import NotFound
from engine.workflow.models import AuditEvent, Incident, IncidentStatus, ProcessInstance
from webapp.api import api_bp
from webapp.api.auth import MANAGERS, STAFF, STARTERS, current_principal
from webapp.api.errors import ApiError
from webapp.api.operation import operation
from webapp.api.schemas import (
    SUBJECT_RE,
    AuditEventPageSchema,
    AuditEventSchema,
    InstanceArgs,
    InstanceDetailSchema,
    InstanceListArgs,
    InstancePageSchema,
    InstanceSchema,
    PageArgsSchema,
    StartInstanceSchema,
    TerminateSchema,
    With,
)
from webapp.api.util import load_body, load_query, paginate, run_command
from webapp.context import db_session, services
from webapp.privacy.recorder import record_access


def get_instance_or_404(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"Process instance {instance_id} does not exist.")
    return instance


def instance_detail(session: Session, instance: ProcessInstance, *, include_data: bool = False) -> dict[str, Any]:
    engine = services().engine
    incidents = list(session.scalars(select(Incident).where(
        Incident.instance_id == instance.id, Incident.status != IncidentStatus.RESOLVED
    ).order_by(Incident.id)))
    view = With(
        instance,
        open_tasks=engine.ready_tasks_of(session, [instance.id]),
        incidents=incidents,
        data=engine.task_data(instance) if include_data else None,
    )
    dumped = InstanceDetailSchema().dump(view)
    if not include_data:
        dumped.pop("data", None)
    return dumped


@api_bp.get("/instances")
@operation(tag="instances", summary="List process instances, newest first", roles=STAFF,
           query=InstanceListArgs, response=InstancePageSchema, errors=(422,))
def list_instances() -> ResponseReturnValue:
    args = load_query(InstanceListArgs)
    query = select(ProcessInstance)
    if args.get("status"):
        query = query.where(ProcessInstance.status == args["status"])
    if args.get("process_key"):
        query = query.where(ProcessInstance.process_key == args["process_key"])
    if args.get("subject"):
        match = SUBJECT_RE.match(args["subject"])
        assert match is not None  # validated by the schema
        query = query.where(ProcessInstance.subject_type == match["type"],
                            ProcessInstance.subject_id == int(match["id"]))
    page = paginate(db_session(), query, ProcessInstance.id, args, descending=True)
    return jsonify(page.as_dict(InstanceSchema(many=True).dump(page.items)))


@api_bp.get("/instances/<int:instance_id>")
@operation(tag="instances", summary="One instance with its open human tasks and unresolved incidents",
           roles=STAFF, query=InstanceArgs, response=InstanceDetailSchema, errors=(404, 422))
def get_instance(instance_id: int) -> ResponseReturnValue:
    args = load_query(InstanceArgs)
    session = db_session()
    instance = get_instance_or_404(session, instance_id)
    include_data = "data" in args.get("include", set())
    if include_data:  # the case data holds personal data: the access log records who read it
        principal = current_principal()
        record_access(AccessAction.VIEW, RecordType.PROCESS_INSTANCE, instance.id, record_key="data",
                      actor=Actor(principal.id, principal.name))
    return jsonify(instance_detail(session, instance, include_data=include_data))


@api_bp.post("/instances")
@operation(tag="instances", summary="Start an instance of the latest version of a process", roles=STARTERS,
           body=StartInstanceSchema, response=InstanceDetailSchema, status=201, errors=(400, 422))
def start_instance() -> ResponseReturnValue:
    body = load_body(StartInstanceSchema)
    user = current_principal()
    engine = services().engine

    def start(session: Session) -> dict[str, Any]:
        try:
            version = engine.latest_version(session, body["process_key"])
        except NotFound as exc:
            raise ApiError(422, "The request has invalid fields; see error.fields.",
                           fields={"process_key": [str(exc)]}) from exc
        subject = (body["subject"]["type"], body["subject"]["id"]) if body["subject"] else None
        instance = engine.start(session, version.key, data=body["data"], subject=subject,
                                user_id=user.id, version=version)
        return instance_detail(session, instance)

    detail = run_command(start)
    response = jsonify(detail)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_instance", instance_id=detail["id"])
    return response


def _instance_command(instance_id: int, name: str, **kwargs: Any) -> ResponseReturnValue:
    user = current_principal()
    engine = services().engine

    def act(session: Session) -> dict[str, Any]:
        instance = getattr(engine, name)(session, instance_id, user_id=user.id, **kwargs)
        return instance_detail(session, instance)

    return jsonify(run_command(act, retry_stale=True))


@api_bp.post("/instances/<int:instance_id>/suspend")
@operation(tag="instances", summary="Suspend an instance (nothing runs until it is resumed)", roles=MANAGERS,
           response=InstanceDetailSchema, errors=(404, 409))
def suspend_instance(instance_id: int) -> ResponseReturnValue:
    return _instance_command(instance_id, "suspend")


@api_bp.post("/instances/<int:instance_id>/resume")
@operation(tag="instances", summary="Resume a suspended instance (timers that fell due fire now)",
           roles=MANAGERS, response=InstanceDetailSchema, errors=(404, 409))
def resume_instance(instance_id: int) -> ResponseReturnValue:
    return _instance_command(instance_id, "resume")


@api_bp.post("/instances/<int:instance_id>/terminate")
@operation(tag="instances", summary="Terminate an instance; its open tasks are cancelled", roles=MANAGERS,
           body=TerminateSchema, body_required=False, response=InstanceDetailSchema,
           errors=(400, 404, 409, 422))
def terminate_instance(instance_id: int) -> ResponseReturnValue:
    body = load_body(TerminateSchema, required=False)
    return _instance_command(instance_id, "terminate", reason=body["reason"])


@api_bp.get("/instances/<int:instance_id>/audit")
@operation(tag="instances", summary="The instance's audit history, oldest first", roles=STAFF,
           query=PageArgsSchema, response=AuditEventPageSchema, errors=(404, 422))
def instance_audit(instance_id: int) -> ResponseReturnValue:
    args = load_query(PageArgsSchema)
    session = db_session()
    get_instance_or_404(session, instance_id)
    query = select(AuditEvent).where(AuditEvent.instance_id == instance_id)
    page = paginate(session, query, AuditEvent.id, args, descending=False)
    return jsonify(page.as_dict(AuditEventSchema(many=True).dump(page.items)))
