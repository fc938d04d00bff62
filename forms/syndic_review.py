"""The case worker's check of a syndic mandate request (bpmn/syndic/mandate_request.bpmn, queue
``syndic``): the request, its rules' outcome and its documents are shown above the form (the
task's instructions); approve sends it to payment and the enterprise counter, send back asks the
requester a question they answer on the portal."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from forms.base_schema import FormSchema
from forms.registry import Choices, field, registry

DECISIONS: Choices = [
    ("approve", _l("Approve: charge the fee and file the request at the enterprise counter")),
    ("send_back", _l("Send back to the requester with a question")),
]


@registry.form(
    "syndic.review_documents",
    _l("Check the syndic mandate request"),
    _l("Check the data and the documents (the extract of the decision, the proof of revocation) against the "
       "deadline shown, then approve, or send the request back saying what the requester must complete."),
)
class SyndicReviewForm(FormSchema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf([code for code, _label in DECISIONS], error=_l("Choose approve or send back.")),
        metadata=field(_l("Decision"), widget="select", choices=DECISIONS),
    )
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=2000, error=_l("Write at most 2000 characters.")),
        metadata=field(_l("Reason"), widget="textarea",
                       help=_l("Required when you send the request back: the requester reads it and answers.")),
    )

    @validates_schema
    def reason_when_sent_back(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("decision") == "send_back" and not (data.get("reason") or "").strip():
            raise ValidationError({"reason": [_l("Say what the requester must complete or correct: they read it.")]})
