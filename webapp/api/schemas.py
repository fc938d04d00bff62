"""marshmallow schemas of the API: query strings, request bodies and responses.

Task completion bodies are *not* here: they are validated by the task's own form schema (forms/),
through the engine, exactly as the web forms are.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, pre_dump, validate, validates

from engine.workflow.models import HumanTaskState, InstanceStatus
from webapp.api.util import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

SUBJECT_RE = re.compile(r"^(?P<type>[A-Za-z_][\w.-]*):(?P<id>\d+)$")
# Row ids are 32-bit integers in the database: a larger number can match nothing, and sent to the
# database it overflows (a 500), so it is refused as invalid input (found by tests/webapp/api/test_fuzz.py).
MAX_ID = 2**31 - 1
ID_RANGE = validate.Range(min=0, max=MAX_ID)


class Include(fields.String):
    """A comma-separated list of optional parts (``?include=xml,data``), loaded as a set."""

    def __init__(self, choices: list[str], **kwargs: Any) -> None:
        self.choices = choices
        description = "Comma-separated optional parts: " + ", ".join(choices)
        kwargs.setdefault("metadata", {}).setdefault("description", description)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> set[str]:
        text = super()._deserialize(value, attr, data, **kwargs)
        parts = {p.strip() for p in text.split(",") if p.strip()}
        unknown = parts - set(self.choices)
        if unknown:
            raise ValidationError(f"Unknown part(s): {', '.join(sorted(unknown))}; "
                                  f"choose from {', '.join(self.choices)}.")
        return parts


class With:
    """An object seen with extra attributes, for dumping with a richer schema."""

    def __init__(self, obj: Any, **extra: Any) -> None:
        self._obj = obj
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


# ----------------------------------------------------------------- errors


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "Machine-readable error code.",
                                                  "example": "validation_failed"})
    message = fields.String(required=True, metadata={"description": "What went wrong and what to do."})
    field_errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields",
                               metadata={"description": "Per-field messages (validation errors only)."})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


# ----------------------------------------------------------------- query strings


class QuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE


class PageArgsSchema(QuerySchema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1),
                           metadata={"description": f"Page size (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}; "
                                                    "larger values are capped)."})
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET),
                            metadata={"description": "Rows to skip (after the cursor, if any). For deep pages "
                                                     "follow next_cursor instead."})
    cursor = fields.String(metadata={"description": "The next_cursor of the previous page."})


class ProcessVersionListArgs(PageArgsSchema):
    key = fields.String(metadata={"description": "Only versions of this process key."})
    include = Include(["xml"])


class ProcessVersionArgs(QuerySchema):
    include = Include(["xml"])


class InstanceListArgs(PageArgsSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in InstanceStatus]))
    process_key = fields.String()
    subject = fields.String(metadata={"description": "The case's subject as type:id, e.g. dossier:42."})

    @validates("subject")
    def _check_subject(self, value: str, **_kwargs: Any) -> None:
        match = SUBJECT_RE.match(value)
        if not match or int(match["id"]) > MAX_ID:
            raise ValidationError("Use type:id, e.g. dossier:42.")


class InstanceArgs(QuerySchema):
    include = Include(["data"])


class TaskListArgs(PageArgsSchema):
    state = fields.String(load_default=HumanTaskState.READY.value,
                          validate=validate.OneOf([s.value for s in HumanTaskState] + ["all"]),
                          metadata={"description": "ready (default), completed, cancelled or all."})
    assignee = fields.String(metadata={"description": "me (tasks held by the caller), none (unclaimed), "
                                                      "or a user id."})
    queue = fields.String()
    process_key = fields.String()
    instance_id = fields.Integer(validate=ID_RANGE)

    @validates("assignee")
    def _check_assignee(self, value: str, **_kwargs: Any) -> None:
        if value not in ("me", "none") and not (value.isdigit() and int(value) <= MAX_ID):
            raise ValidationError("Use me, none, or a user id.")


# ----------------------------------------------------------------- request bodies


class SubjectSchema(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=50))
    id = fields.Integer(required=True, validate=ID_RANGE)


class StartInstanceSchema(Schema):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=255),
                                metadata={"description": "Key of a deployed process; its latest version starts."})
    data = fields.Dict(keys=fields.String(), load_default=dict,
                       metadata={"description": "Initial process data."})
    subject = fields.Nested(SubjectSchema, allow_none=True, load_default=None,
                            metadata={"description": "What the case is about, e.g. a dossier."})


class TerminateSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class MessageSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255),
                         metadata={"description": "The BPMN message name."})
    payload = fields.Raw(allow_none=True, load_default=None,
                         metadata={"description": "Any JSON value, given to the process."})
    correlations = fields.Dict(keys=fields.String(), load_default=dict,
                               metadata={"description": "Correlation values, e.g. {\"dossier\": 42}."})
    instance_id = fields.Integer(allow_none=True, load_default=None, validate=ID_RANGE,
                                 metadata={"description": "Deliver only to this instance."})


class FormDataSchema(Schema):
    """Documentation only: a task's form data, validated by the form named by the task's form_key
    (GET /api/tasks/{id} describes its fields)."""

    class Meta:
        unknown = INCLUDE


# ----------------------------------------------------------------- responses


class ProcessVersionSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    source_name = fields.String()
    checksum = fields.String()
    deployed_by_id = fields.Integer(allow_none=True)
    deployed_at = fields.DateTime()
    bpmn_xml = fields.String(metadata={"description": "Only with ?include=xml."})


class SubjectOutSchema(Schema):
    type = fields.String()
    id = fields.Integer()


class TaskSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    process_key = fields.String()
    bpmn_id = fields.String()
    name = fields.String()
    lane = fields.String(allow_none=True)
    queue = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    phase = fields.String(allow_none=True)
    instructions = fields.String(allow_none=True)
    state = fields.String(metadata={"enum": [s.value for s in HumanTaskState]})
    assignee_id = fields.Integer(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    claimed_at = fields.DateTime(allow_none=True)
    claimed_by_id = fields.Integer(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by_id = fields.Integer(allow_none=True)


class ChoiceSchema(Schema):
    value = fields.Raw()
    label = fields.String()


class FormFieldSchema(Schema):
    name = fields.String()
    label = fields.String(metadata={"description": "In the request's language (Accept-Language)."})
    widget = fields.String(metadata={"example": "number"})
    required = fields.Boolean()
    multiple = fields.Boolean()
    help = fields.String(allow_none=True)
    choices = fields.List(fields.Nested(ChoiceSchema), allow_none=True)


class FormSchema(Schema):
    key = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    field_list = fields.List(fields.Nested(FormFieldSchema), attribute="fields", data_key="fields")


class TaskDetailSchema(TaskSchema):
    form = fields.Nested(FormSchema, allow_none=True,
                         metadata={"description": "The fields POST /api/tasks/{id}/complete expects."})


class IncidentSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    bpmn_id = fields.String(allow_none=True)
    error = fields.String()
    status = fields.String()
    retries = fields.Integer()
    created_at = fields.DateTime()


class InstanceSchema(Schema):
    id = fields.Integer()
    process_key = fields.String()
    process_version_id = fields.Integer()
    process_version = fields.Function(lambda i: i.process_version.version, metadata={"type": "integer"})
    status = fields.String(metadata={"enum": [s.value for s in InstanceStatus]})
    phase = fields.String(allow_none=True)
    subject = fields.Nested(SubjectOutSchema, allow_none=True, metadata={"description": "What the case is about."})
    started_by_id = fields.Integer(allow_none=True)
    started_at = fields.DateTime()
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    next_timer_at = fields.DateTime(allow_none=True)

    @pre_dump
    def _add_subject(self, instance: Any, **_kwargs: Any) -> Any:
        subject = None if instance.subject_type is None else {"type": instance.subject_type,
                                                              "id": instance.subject_id}
        return With(instance, subject=subject)


class InstanceDetailSchema(InstanceSchema):
    open_tasks = fields.List(fields.Nested(TaskSchema))
    incidents = fields.List(fields.Nested(IncidentSchema), metadata={"description": "Unresolved incidents."})
    data = fields.Dict(allow_none=True, metadata={"description": "The case data; only with ?include=data."})


class CompleteResultSchema(Schema):
    task = fields.Nested(TaskSchema)
    instance = fields.Nested(InstanceDetailSchema)


class AuditEventSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    kind = fields.String()
    detail = fields.Dict()
    at = fields.DateTime()


class MessageResultSchema(Schema):
    delivered = fields.List(fields.Integer(), metadata={"description": "Ids of the instances that received it."})


def _page_schema(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item)),
        "limit": fields.Integer(),
        "offset": fields.Integer(),
        "next_cursor": fields.String(allow_none=True, metadata={
            "description": "Pass as ?cursor= for the next page; null on the last page."}),
    }, name=name)


ProcessVersionPageSchema = _page_schema(ProcessVersionSchema, "ProcessVersionPage")
InstancePageSchema = _page_schema(InstanceSchema, "InstancePage")
TaskPageSchema = _page_schema(TaskSchema, "TaskPage")
AuditEventPageSchema = _page_schema(AuditEventSchema, "AuditEventPage")
