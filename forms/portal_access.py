"""The case worker's review of a portal access request (bpmn/portal/access_request.bpmn, queue
``portal``). The requester, organisation, client number and buildings with their radio status
are shown above the form (the task's instructions, written when the request starts)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from forms.base_schema import FormSchema
from forms.registry import Choices, field, registry

DECISIONS: Choices = [
    ("approve", _l("Approve: link the organisation to the client number and these buildings")),
    ("refuse", _l("Refuse")),
]


@registry.form(
    "portal.access_review",
    _l("Check the portal access request"),
    _l("Check that the client number and the buildings belong to the requester's organisation, "
       "then approve or refuse with a reason. The requester is told by e-mail."),
)
class AccessReviewForm(FormSchema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf([code for code, _label in DECISIONS], error=_l("Choose approve or refuse.")),
        metadata=field(_l("Decision"), widget="select", choices=DECISIONS),
    )
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=1000, error=_l("Write at most 1000 characters.")),
        metadata=field(_l("Reason"), widget="textarea",
                       help=_l("Required when you refuse: the requester reads it in the e-mail.")),
    )

    @validates_schema
    def reason_when_refused(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            raise ValidationError({"reason": [_l("Say why the request is refused: the requester reads it.")]})
