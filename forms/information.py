"""Forms of the Information dossier (seed 001 §5.4.1: Demande, Dossier, Terminé).

``information.request`` is the "Demande" tab: question types, a short summary, and the
management fields (request date, source, first action and its date). The lead time between the
request and the first action is computed by the diagram's script task, in working days.
``information.answer`` records the answer and the referral to another service or organisation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from forms.base_schema import FormSchema
from forms.registry import Choices, field, registry

# The subtypes of the Information dossier type (seed 001 §5.2), offered as question types.
QUESTION_TYPES: Choices = [
    ("financial_advice", _l("Financial advice")),
    ("information_request", _l("Information request")),
    ("renovation_master_plan", _l("Interest in the renovation master plan")),
    ("premium_application", _l("Help with a premium application")),
    ("technical_question", _l("Technical question")),
]

SOURCES: Choices = [
    ("counter", _l("Walk-in at the counter")),
    ("email", _l("E-mail")),
    ("contact_form", _l("Contact form")),
    ("phone", _l("Telephone")),
    ("event", _l("Event")),
]

FIRST_ACTIONS: Choices = [
    ("information_given", _l("Information given")),
    ("email_reply", _l("Reply sent by e-mail")),
    ("called_back", _l("Called back")),
    ("appointment", _l("Appointment planned")),
    ("home_visit", _l("Home visit planned")),
    ("referred", _l("Referred to another service")),
]

REFERRAL_PRODUCTS: Choices = [
    ("none", _l("No referral")),
    ("loan", _l("Loan")),
    ("premium", _l("Premium")),
    ("advice", _l("Advice")),
    ("other", _l("Other")),
]

BRUSSELS = ZoneInfo("Europe/Brussels")
CHOOSE_PROPOSED = _l("Choose one of the proposed values.")


def _codes(choices: Choices) -> list[str]:
    return [code for code, _label in choices]


def _brussels_today() -> dt.date:
    return dt.datetime.now(BRUSSELS).date()


@registry.form(
    "information.request",
    _l("Register the request"),
    _l("What does the citizen ask, and what did the one-stop shop do first?"),
)
class InformationRequestForm(FormSchema):
    question_types = fields.List(
        fields.String(validate=validate.OneOf(_codes(QUESTION_TYPES), error=CHOOSE_PROPOSED)),
        required=True,
        validate=validate.Length(min=1, error=_l("Choose at least one question type.")),
        metadata=field(
            _l("Question types"),
            widget="multiselect",
            choices=QUESTION_TYPES,
            help=_l("Several answers are possible. Tell the CRM manager about questions that keep "
                    "coming back and are not in the list."),
        ),
    )
    question_summary = fields.String(
        required=True,
        validate=validate.Length(min=3, max=2000, error=_l("Write between 3 and 2000 characters.")),
        metadata=field(
            _l("Question summary"),
            widget="textarea",
            help=_l("A short summary, so that a colleague who opens the dossier understands it at once."),
        ),
    )
    request_date = fields.Date(
        required=True,
        metadata=field(
            _l("Date of the request"),
            help=_l("The date of the very first contact with the citizen (e-mail, phone, counter or event)."),
            fact="request_date",
        ),
    )
    source = fields.String(
        required=True,
        validate=validate.OneOf(_codes(SOURCES), error=CHOOSE_PROPOSED),
        metadata=field(_l("Source"), widget="select", choices=SOURCES),
    )
    first_action = fields.String(
        required=True,
        validate=validate.OneOf(_codes(FIRST_ACTIONS), error=CHOOSE_PROPOSED),
        metadata=field(
            _l("First action"),
            widget="select",
            choices=FIRST_ACTIONS,
            help=_l("The first thing the one-stop shop did after the citizen's contact."),
            fact="first_action",
        ),
    )
    first_action_date = fields.Date(
        required=True,
        metadata=field(
            _l("Date of the first action"),
            help=_l("The lead time in working days is computed from the two dates."),
            fact="first_action_date",
        ),
    )

    @validates_schema(skip_on_field_errors=False)
    def check_dates(self, data: dict[str, Any], **_kwargs: Any) -> None:
        request_date = data.get("request_date")
        first_action_date = data.get("first_action_date")
        errors: dict[str, list[Any]] = {}
        if request_date and request_date > _brussels_today():
            errors["request_date"] = [_l("The date of the request cannot be in the future.")]
        if request_date and first_action_date and first_action_date < request_date:
            errors["first_action_date"] = [
                _l("The first action cannot come before the request: choose a date on or after "
                   "the date of the request.")
            ]
        if errors:
            raise ValidationError(errors)


@registry.form(
    "information.answer",
    _l("Answer and refer"),
    _l("Record the answer given and, when the one-stop shop cannot help, where the citizen was referred."),
)
class InformationAnswerForm(FormSchema):
    answer = fields.String(
        required=True,
        validate=validate.Length(min=3, max=4000, error=_l("Write between 3 and 4000 characters.")),
        metadata=field(_l("Answer"), widget="textarea", help=_l("The answer given to the citizen, in short.")),
    )
    referral_product = fields.String(
        required=True,
        validate=validate.OneOf(_codes(REFERRAL_PRODUCTS), error=CHOOSE_PROPOSED),
        metadata=field(
            _l("Referral for"),
            widget="select",
            choices=REFERRAL_PRODUCTS,
            help=_l("The product for which the citizen is referred elsewhere, if any."),
        ),
    )
    referral_organisation = fields.String(
        validate=validate.Length(max=200, error=_l("Write at most 200 characters.")),
        metadata=field(
            _l("Referred to (organisation)"),
            help=_l("The service or external organisation the citizen is referred to."),
        ),
    )
    closing_note = fields.String(
        validate=validate.Length(max=2000, error=_l("Write at most 2000 characters.")),
        metadata=field(_l("Closing note"), widget="textarea"),
    )

    @validates_schema(skip_on_field_errors=False)
    def check_referral(self, data: dict[str, Any], **_kwargs: Any) -> None:
        product = data.get("referral_product")
        if product and product != "none" and not (data.get("referral_organisation") or "").strip():
            raise ValidationError(
                _l("Name the organisation the citizen is referred to, or choose “No referral”."),
                field_name="referral_organisation",
            )
