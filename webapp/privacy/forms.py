"""The access-log search form: what a data-protection officer may filter on, validated."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine.privacy.access_log import LogFilter
from engine.privacy.models import AccessAction, RecordType

ACTIONS = [a.value for a in AccessAction]
RECORD_TYPES = [r.value for r in RecordType]


class LogSearchSchema(Schema):
    person = fields.String(load_default="", validate=validate.Length(max=100,
                           error=_l("Type at most 100 characters of the name.")))
    record_type = fields.String(load_default="", validate=validate.OneOf(
        ["", *RECORD_TYPES], error=_l("Choose a record type from the list.")))
    record_id = fields.Integer(load_default=None, allow_none=True, strict=False, validate=validate.Range(
        min=1, error=_l("Give the record's number (1 or more).")),
        error_messages={"invalid": _l("Give the record's number as digits.")})
    action = fields.String(load_default="", validate=validate.OneOf(["", *ACTIONS],
                           error=_l("Choose an action from the list.")))
    since = fields.Date(load_default=None, allow_none=True,
                        error_messages={"invalid": _l("Give the date as YYYY-MM-DD.")})
    until = fields.Date(load_default=None, allow_none=True,
                        error_messages={"invalid": _l("Give the date as YYYY-MM-DD.")})
    after = fields.Integer(load_default=None, allow_none=True)

    @validates_schema
    def _period(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError(_l("The end of the period is before its start."), "until")


def _blank_to_none(args: dict[str, str]) -> dict[str, str | None]:
    return {key: (value.strip() or None) if key in {"record_id", "since", "until", "after"} else value.strip()
            for key, value in args.items() if key in LogSearchSchema().fields}


def parse(args: dict[str, str]) -> tuple[LogFilter, int | None, dict[str, list[str]]]:
    """The filter, the page cursor and the errors by field (the filter ignores invalid fields)."""
    raw = _blank_to_none(args)
    try:
        data = LogSearchSchema().load(raw)
        errors: dict[str, list[str]] = {}
    except ValidationError as invalid:
        messages = invalid.normalized_messages()
        errors = {key: [str(m) for m in (value if isinstance(value, list) else [value])]
                  for key, value in messages.items()}
        data = {k: v for k, v in (invalid.valid_data or {}).items() if k not in errors}
    since = data.get("since")
    until = data.get("until")
    return LogFilter(
        person=data.get("person") or "", record_type=data.get("record_type") or "",
        record_id=data.get("record_id"), action=data.get("action") or "",
        since=dt.datetime.combine(since, dt.time(), dt.UTC) if since else None,
        until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC) if until else None,
    ), data.get("after"), errors
