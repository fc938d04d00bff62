"""The forms of the Timeline tab: a note, a phone call, an appointment. Not task forms (they
belong to no user task), so they live in their own registry, like the works forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from engine.timeline.models import CallDirection
from forms.base_schema import FormSchema
from forms.registry import Choices, FormRegistry, field

registry = FormRegistry()

DIRECTIONS: Choices = [
    (CallDirection.INCOMING.value, _l("Incoming: they called us")),
    (CallDirection.OUTGOING.value, _l("Outgoing: we called them")),
]
AT_MOST_4000 = validate.Length(min=1, max=4000, error=_l("Write between 1 and 4000 characters."))
AT_MOST_300 = validate.Length(max=300, error=_l("Write at most 300 characters."))
CONTACT_HELP = _l("A contact involved in the dossier; otherwise write the name below.")


def _contact_field() -> fields.Integer:
    # the choices are the dossier's contacts: the view fills them in (webapp/timeline/views.py)
    return fields.Integer(load_default=None, metadata=field(_l("Contact"), widget="select", choices=[],
                                                            help=CONTACT_HELP))


@registry.form("timeline.note", _l("Add a note"))
class NoteForm(FormSchema):
    text = fields.String(required=True, validate=AT_MOST_4000, metadata=field(_l("Note"), widget="textarea"))


@registry.form("timeline.call", _l("Log a phone call"))
class CallForm(FormSchema):
    occurred_at = fields.DateTime(required=True, metadata=field(_l("When")))
    direction = fields.String(required=True, validate=validate.OneOf([c for c, _label in DIRECTIONS],
                                                                     error=_l("Choose one of the proposed values.")),
                              metadata=field(_l("Direction"), widget="select", choices=DIRECTIONS))
    contact_id = _contact_field()
    contact_name = fields.String(load_default=None, validate=AT_MOST_300,
                                 metadata=field(_l("Who was on the phone"),
                                                help=_l("Needed when the contact is not in the list above.")))
    phone = fields.String(load_default=None, validate=validate.Length(max=50, error=_l("Write at most 50 characters.")),
                          metadata=field(_l("Phone number")))
    summary = fields.String(required=True, validate=AT_MOST_4000,
                            metadata=field(_l("Summary"), widget="textarea", help=_l("What was asked and said.")))

    @validates_schema(skip_on_field_errors=False)
    def someone(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("contact_id") is None and not (data.get("contact_name") or "").strip():
            raise ValidationError({"contact_name": [_l("Choose the contact or write who was on the phone.")]})


@registry.form("timeline.appointment", _l("Plan an appointment"))
class AppointmentForm(FormSchema):
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200,
                                                                    error=_l("Write between 1 and 200 characters.")),
                            metadata=field(_l("Subject"), help=_l("For example: home visit, advice at the counter.")))
    starts_at = fields.DateTime(required=True, metadata=field(_l("Starts at")))
    ends_at = fields.DateTime(load_default=None, metadata=field(_l("Ends at")))
    location = fields.String(required=True, validate=validate.Length(min=1, max=300,
                                                                     error=_l("Write between 1 and 300 characters.")),
                             metadata=field(_l("Where")))
    contact_id = _contact_field()
    with_whom = fields.String(load_default=None, validate=AT_MOST_300,
                              metadata=field(_l("With whom"),
                                             help=_l("Needed when the contact is not in the list above.")))
    notes = fields.String(load_default=None,
                          validate=validate.Length(max=4000, error=_l("Write at most 4000 characters.")),
                          metadata=field(_l("Agenda and notes"), widget="textarea"))

    @validates_schema(skip_on_field_errors=False)
    def consistent(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[Any]] = {}
        starts: dt.datetime | None = data.get("starts_at")
        ends: dt.datetime | None = data.get("ends_at")
        if starts and ends and ends <= starts:
            errors["ends_at"] = [_l("The end must come after the start.")]
        if data.get("contact_id") is None and not (data.get("with_whom") or "").strip():
            errors["with_whom"] = [_l("Choose the contact or write with whom.")]
        if errors:
            raise ValidationError(errors)


NOTE_FORM = registry.get("timeline.note")
CALL_FORM = registry.get("timeline.call")
APPOINTMENT_FORM = registry.get("timeline.appointment")
FORMS = {"note": NOTE_FORM, "call": CALL_FORM, "appointment": APPOINTMENT_FORM}
