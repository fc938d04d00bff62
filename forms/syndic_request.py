"""The data of a syndic mandate request (seed 002, issue 8), validated before
engine/syndic/requests.submit_request stores it. The keys are the MandateRequest columns the
requester fills. What is required depends on the kind, on whether the syndic is a natural or a
legal person, and on the representative case of engine/syndic/rules.py: :func:`required_fields`
says exactly which, so the page asks exactly that and the schema refuses exactly the rest.

Enterprise numbers come out as 10 digits, national register / BIS numbers as 11; empty strings
(an HTML form's untouched inputs) are read as "not given"."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from engine.parties.enterprise_number import EnterpriseNumberError, normalise
from engine.syndic import requests as syndic_requests
from engine.syndic.identifiers import PersonNumberError, parse_person_number
from engine.syndic.models import AppointedBy, RepresentativeCase, RequestKind, SyndicKind
from engine.syndic.rules import representative_case
from forms.base_schema import FormSchema
from forms.enterprise_number import enterprise_number_message
from forms.registry import Choices, field

KINDS: Choices = [
    (RequestKind.REGISTRATION.value, _l("Registration of a new syndic")),
    (RequestKind.MODIFICATION.value, _l("Modification of the registered syndic's data")),
    (RequestKind.TERMINATION.value, _l("Termination of the outgoing syndic")),
    (RequestKind.TERMINATION_AND_REGISTRATION.value, _l("Termination and registration in one movement")),
]
SYNDIC_KINDS: Choices = [
    (SyndicKind.NATURAL.value, _l("A natural person")),
    (SyndicKind.LEGAL.value, _l("A company (legal person)")),
]
APPOINTED_BY: Choices = [
    (AppointedBy.GENERAL_ASSEMBLY.value, _l("The general assembly")),
    (AppointedBy.JUDGE.value, _l("A judge")),
]

REGISTERING = (RequestKind.REGISTRATION, RequestKind.TERMINATION_AND_REGISTRATION)
TERMINATING = (RequestKind.TERMINATION, RequestKind.TERMINATION_AND_REGISTRATION)


def person_number_message(error: PersonNumberError) -> str:
    if error.code == "empty":
        return _("Enter the national register number or the BIS number (11 digits).")
    if error.code == "checksum":
        return _("The last two digits (the check) do not match this national register or BIS number: "
                 "copy it again from the identity card or the BIS attestation.")
    return _("A national register or BIS number has 11 digits, e.g. 85.07.30-033.28.")


class EnterpriseNumber(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise(text)
        except EnterpriseNumberError as exc:
            raise ValidationError(enterprise_number_message(exc)) from exc


class PersonNumber(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_person_number(text).digits
        except PersonNumberError as exc:
            raise ValidationError(person_number_message(exc)) from exc


def _text(label: Any, length: int, **meta: Any) -> fields.String:
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=length, error=_l("Write at most {max} characters.")),
                         metadata=field(label, **meta))


def _yes_no(label: Any, help: Any = None) -> fields.Boolean:
    return fields.Boolean(load_default=None, allow_none=True,
                          metadata=field(label, widget="radio", choices=[("true", _l("Yes")), ("false", _l("No"))],
                                         help=help))


def required_fields(kind: RequestKind | str, syndic_kind: SyndicKind | str | None,
                    representative_case: RepresentativeCase | str | None) -> set[str]:
    """The fields a request of this kind needs, for this syndic and representative case. For a
    termination, ``outgoing_syndic_name`` may be replaced by ``outgoing_mandate_id`` (the mandate
    chosen from Guichet's history)."""
    kind = RequestKind(kind)
    needed = {"kind", "association_number"}
    if kind in TERMINATING:
        needed |= {"effective_date", "outgoing_syndic_name"}
    if kind == RequestKind.MODIFICATION:
        needed |= {"effective_date", "changes", "syndic_kind", "syndic_name"}
        if syndic_kind == SyndicKind.NATURAL:
            needed |= {"syndic_first_names", "syndic_person_number"}
        elif syndic_kind == SyndicKind.LEGAL:
            needed.add("syndic_enterprise_number")
    if kind in REGISTERING:
        needed |= {"decision_date", "mandate_start", "appointed_by", "syndic_kind", "syndic_name", "syndic_address",
                   "syndic_email"}
        if syndic_kind == SyndicKind.NATURAL:
            needed |= {"syndic_first_names", "syndic_person_number", "syndic_profession"}
        elif syndic_kind == SyndicKind.LEGAL:
            needed |= {"syndic_enterprise_number", "decision_names_representative"}
            case = RepresentativeCase(representative_case or RepresentativeCase.ACCREDITED_REQUIRED)
            if case != RepresentativeCase.NAMED:
                needed.add("company_has_ipi")
            if case in (RepresentativeCase.NAMED, RepresentativeCase.ACCREDITED_REQUIRED):
                needed |= {"representative_name", "representative_first_names", "representative_person_number"}
            if case == RepresentativeCase.ACCREDITED_REQUIRED:
                needed.add("representative_ipi_number")
    return needed


def required_documents(kind: RequestKind | str) -> set[str]:
    """``decision_extract`` (extract of the appointment decision) and/or ``revocation_proof``."""
    return syndic_requests.required_documents(kind)


class MandateRequestSchema(FormSchema):
    kind = fields.String(required=True, metadata=field(_l("What do you want to file?"), widget="radio",
                                                       choices=KINDS))
    association_number = EnterpriseNumber(
        required=True, metadata=field(_l("Enterprise number of the association of co-owners"),
                                      help=_l("The association must already have an enterprise number.")))
    syndic_kind = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf([c for c, _x in SYNDIC_KINDS],
                                                        error=_l("Choose a natural person or a company.")),
                                metadata=field(_l("The syndic is"), widget="radio", choices=SYNDIC_KINDS))
    syndic_name = _text(_l("Last name, or the company's name"), 300)
    syndic_first_names = _text(_l("First names"), 200)
    syndic_person_number = PersonNumber(load_default=None, allow_none=True,
                                        metadata=field(_l("National register or BIS number"),
                                                       help=_l("11 digits, e.g. 85.07.30-033.28")))
    syndic_enterprise_number = EnterpriseNumber(load_default=None, allow_none=True,
                                                metadata=field(_l("The company's enterprise number")))
    syndic_profession = _text(_l("Profession"), 200)
    syndic_address = _text(_l("Address (domicile, or the company's seat)"), 400, widget="textarea")
    syndic_email = fields.Email(load_default=None, allow_none=True,
                                validate=validate.Length(max=254, error=_l("Write at most {max} characters.")),
                                metadata=field(_l("E-mail address of the syndic")))
    syndic_phone = _text(_l("Phone number of the syndic"), 40)
    provisional = fields.Boolean(load_default=False, metadata=field(
        _l("Provisional syndic"), widget="checkbox"))
    appointed_by = fields.String(load_default=None, allow_none=True,
                                 validate=validate.OneOf([c for c, _x in APPOINTED_BY],
                                                         error=_l("Choose the general assembly or a judge.")),
                                 metadata=field(_l("Appointed by"), widget="radio", choices=APPOINTED_BY))
    decision_names_representative = _yes_no(
        _l("Does the decision name a representative of the company?"),
        _l("E.g. \"the general assembly appoints company X as syndic, represented by Mr Y\"."))
    company_has_ipi = _yes_no(_l("Does the company itself have an IPI accreditation?"))
    representative_name = _text(_l("Representative's last name"), 300)
    representative_first_names = _text(_l("Representative's first names"), 200)
    representative_person_number = PersonNumber(load_default=None, allow_none=True,
                                                metadata=field(_l("Representative's national register or BIS "
                                                                  "number")))
    representative_ipi_number = _text(_l("Representative's IPI accreditation number"), 20)
    decision_date = fields.Date(load_default=None, allow_none=True, metadata=field(_l("Date of the decision")))
    mandate_start = fields.Date(load_default=None, allow_none=True, metadata=field(_l("Start of the mandate")))
    mandate_end = fields.Date(load_default=None, allow_none=True, metadata=field(_l("End of the mandate")))
    effective_date = fields.Date(load_default=None, allow_none=True, metadata=field(
        _l("Date it takes effect"), help=_l("For a modification or a termination.")))
    changes = _text(_l("What changes"), 2000, widget="textarea")
    outgoing_mandate_id = fields.Integer(load_default=None, allow_none=True,
                                         metadata=field(_l("Outgoing syndic's mandate")))
    outgoing_syndic_name = _text(_l("Outgoing syndic"), 300)

    @pre_load
    def blanks_are_missing(self, data: Any, **_kwargs: Any) -> Any:
        """An untouched HTML input sends "": read it as not given."""
        if not isinstance(data, dict):
            return data
        return {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in data.items()}

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def what_the_case_needs(self, data: dict[str, Any], original: Any = None, **_kwargs: Any) -> None:
        """Runs even when a field has a format error, so the page shows every error at once; a
        field given but refused for its format is not also reported as missing."""
        if data.get("kind") == "renewal":
            raise ValidationError({"kind": [_l("A renewal is not filed: nothing is needed unless the syndic's data "
                                               "changed (then choose a modification).")]})
        try:
            kind = RequestKind(data.get("kind"))
        except ValueError:
            raise ValidationError({"kind": [_l("Choose what you want to file.")]}) from None
        case = representative_case(data.get("syndic_kind"),
                                   decision_names_representative=data.get("decision_names_representative"),
                                   company_has_ipi=data.get("company_has_ipi"))
        errors: dict[str, list[Any]] = {}
        for name in sorted(required_fields(kind, data.get("syndic_kind"), case)):
            if name == "outgoing_syndic_name" and data.get("outgoing_mandate_id"):
                continue
            given = isinstance(original, dict) and original.get(name) not in (None, "")
            if data.get(name) is None and not given:
                errors[name] = [_l("Fill this in: this request needs it.")]
        start, end = data.get("mandate_start"), data.get("mandate_end")
        if start and end and end <= start:
            errors.setdefault("mandate_end", []).append(_l("The end of the mandate must come after its start."))
        decision = data.get("decision_date")
        if decision and end and decision > end:
            errors.setdefault("decision_date", []).append(_l("The decision must come before the end of the mandate."))
        if errors:
            raise ValidationError(errors)
