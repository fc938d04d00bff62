"""The forms of the RMP tabs of an Advice dossier "Renovation master plan" (seed 001 §6.2): the
decision & request, and the elaboration with its calendar. They belong to no user task, so they
live in their own registry (like the works forms). The own contribution is not a field: the
engine computes it from the awarded amount and the VEKA subsidy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from engine.cases.rmp import CALENDAR_STEPS, RMP_ELEMENTS, SUPPORT_ACTIONS, RmpRecord, clean_calendar
from forms.base_schema import FormSchema
from forms.registry import Choices, FormRegistry, field
from webapp.works.forms import Amount

SUPPORT_ACTION_LABELS: dict[str, Any] = {
    "building_plans": _l("Look up the building plans"),
    "energy_consumption": _l("Ask Fluvius for the energy consumption"),
    "epc_common_parts": _l("Collect the EPC of the common parts"),
    "basic_deed": _l("Collect the basic deed and the by-laws"),
    "ga_minutes": _l("Collect the minutes of the general assembly"),
    "technical_documents": _l("Collect the technical documents of the building"),
}
ELEMENT_LABELS: dict[str, Any] = {
    "building_survey": _l("Survey of the building"),
    "energy_audit": _l("Energy audit"),
    "technical_analysis": _l("Technical analysis"),
    "renovation_scenarios": _l("Renovation scenarios"),
    "cost_estimate": _l("Cost estimate"),
    "phasing_plan": _l("Phasing of the works"),
    "financing_plan": _l("Financing plan"),
    "final_report": _l("Final report"),
}
STEP_LABELS: dict[str, Any] = {
    "application": _l("Application to VEKA"),
    "award": _l("Award"),
    "contract": _l("Contract with the design office"),
    "kick_off": _l("Kick-off meeting"),
    "owner_survey": _l("Owner survey"),
    "occupant_survey": _l("Occupant survey"),
    "draft_plan": _l("Draft plan"),
    "working_group_review": _l("Review with the working group"),
    "general_assembly": _l("General assembly"),
    "final_plan": _l("Final plan"),
}
assert set(SUPPORT_ACTION_LABELS) == set(SUPPORT_ACTIONS)
assert set(ELEMENT_LABELS) == set(RMP_ELEMENTS)
assert set(STEP_LABELS) == set(CALENDAR_STEPS)

# The two surveys may run at the same time: steps of the same rank are not compared.
STEP_RANKS: dict[str, int] = {step: index for index, step in enumerate(CALENDAR_STEPS)}
STEP_RANKS["occupant_survey"] = STEP_RANKS["owner_survey"]

SUPPORT_ACTION_CHOICES: Choices = [(code, SUPPORT_ACTION_LABELS[code]) for code in SUPPORT_ACTIONS]
ELEMENT_CHOICES: Choices = [(code, ELEMENT_LABELS[code]) for code in RMP_ELEMENTS]
CHOOSE_PROPOSED = _l("Choose one of the proposed values.")
AT_MOST_200 = validate.Length(max=200, error=_l("Write at most 200 characters."))
AT_MOST_4000 = validate.Length(max=4000, error=_l("Write at most 4000 characters."))


def _text(label: Any, *, long: bool = False, help: Any = None) -> fields.String:
    return fields.String(validate=AT_MOST_4000 if long else AT_MOST_200,
                         metadata=field(label, widget="textarea" if long else None, help=help))


def _multi(label: Any, choices: Choices) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf([c for c, _ in choices], error=CHOOSE_PROPOSED)),
                       load_default=list, metadata=field(label, widget="multiselect", choices=choices))


def _errors_before(errors: dict[str, list[Any]], data: dict[str, Any], later: str, earlier: str,
                   message: Any) -> None:
    if data.get(later) and data.get(earlier) and data[later] < data[earlier]:
        errors.setdefault(later, []).append(message)


class ApplicationForm(FormSchema):
    # The VEKA application form.
    association_name = _text(_l("Co-owners' association"))
    association_enterprise_number = fields.String(
        validate=validate.Regexp(r"^[0-9 .]{10,14}$", error=_l("Enter an enterprise number, e.g. 0123.456.789.")),
        metadata=field(_l("Enterprise number of the association")),
    )
    syndic_name = _text(_l("Syndic"))
    building_units = fields.Integer(
        validate=validate.Range(min=2, max=10000, error=_l("Enter a number between 2 and 10000.")),
        metadata=field(_l("Number of dwellings in the building")),
    )
    building_year = fields.Integer(
        validate=validate.Range(min=1800, max=2100, error=_l("Enter a year between 1800 and 2100.")),
        metadata=field(_l("Year of construction")),
    )
    ga_decision_on = fields.Date(metadata=field(_l("General assembly decided to apply on")))
    application_submitted_on = fields.Date(metadata=field(_l("Application sent to VEKA on")))
    # The one-stop shop's support.
    support_actions = _multi(_l("Support given by the one-stop shop"), SUPPORT_ACTION_CHOICES)
    energy_data_requested_on = fields.Date(metadata=field(_l("Energy consumption asked from Fluvius on")))
    support_notes = _text(_l("Notes on the support"), long=True)
    # Quotes, award, amounts, contract.
    quotes_received_on = fields.Date(metadata=field(_l("Quotes received from VEKA on")))
    quotes_count = fields.Integer(
        validate=validate.Range(min=0, max=50, error=_l("Enter a number between 0 and 50.")),
        metadata=field(_l("Number of quotes received")),
    )
    awarded_to = _text(_l("Awarded to (design office)"))
    awarded_on = fields.Date(metadata=field(_l("Awarded on")))
    awarded_amount = Amount(metadata=field(_l("Awarded amount (EUR)")))
    veka_subsidy = Amount(metadata=field(
        _l("VEKA subsidy (EUR)"),
        help=_l("The own contribution (awarded amount less the subsidy) is computed."),
    ))
    contract_received = fields.Boolean(metadata=field(
        _l("Signed contract between the association and the design office received")))
    contract_received_on = fields.Date(metadata=field(_l("Contract received on")))

    @validates_schema(skip_on_field_errors=False)
    def check_consistency(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[Any]] = {}
        _errors_before(errors, data, "application_submitted_on", "ga_decision_on", _l(
            "The application cannot be sent before the general assembly decided to apply."))
        _errors_before(errors, data, "awarded_on", "application_submitted_on", _l(
            "The award cannot come before the application was sent."))
        _errors_before(errors, data, "awarded_on", "quotes_received_on", _l(
            "The award cannot come before the quotes were received."))
        _errors_before(errors, data, "contract_received_on", "awarded_on", _l(
            "The contract cannot be received before the award."))
        if data.get("energy_data_requested_on") and "energy_consumption" not in data.get("support_actions", []):
            errors.setdefault("energy_data_requested_on", []).append(_l(
                "Tick “Ask Fluvius for the energy consumption” or leave this date empty."))
        if data.get("contract_received_on") and not data.get("contract_received"):
            errors.setdefault("contract_received_on", []).append(_l(
                "Tick “Signed contract received” or leave this date empty."))
        if data.get("veka_subsidy") is not None:
            if data.get("awarded_amount") is None:
                errors.setdefault("awarded_amount", []).append(_l(
                    "Enter the awarded amount: the subsidy is a part of it."))
            elif data["veka_subsidy"] > data["awarded_amount"]:
                errors.setdefault("veka_subsidy", []).append(_l(
                    "The VEKA subsidy cannot exceed the awarded amount."))
        if data.get("awarded_amount") is not None and not (data.get("awarded_to") or "").strip():
            errors.setdefault("awarded_to", []).append(_l("Name the design office the plan was awarded to."))
        if errors:
            raise ValidationError(errors)


def _calendar_field(step: str, kind: str) -> str:
    return f"calendar_{step}_{kind}"


_elaboration_fields: dict[str, Any] = {
    "owner_survey_done": fields.Boolean(metadata=field(_l("Owner survey done"))),
    "owner_survey_on": fields.Date(metadata=field(_l("Owner survey done on"))),
    "occupant_survey_done": fields.Boolean(metadata=field(_l("Occupant survey done"))),
    "occupant_survey_on": fields.Date(metadata=field(_l("Occupant survey done on"))),
    "elements_received": _multi(_l("Elements of the plan received"), ELEMENT_CHOICES),
    "ga_preparation": _text(_l("Preparation of the general assembly"), long=True, help=_l(
        "Who presents what, the documents to send with the invitation, the questions to expect.")),
    "ga_date": fields.Date(metadata=field(_l("Date of the (extraordinary) general assembly"))),
}
for _step in CALENDAR_STEPS:
    _elaboration_fields[_calendar_field(_step, "planned")] = fields.Date(
        metadata=field(_l("%(step)s: planned", step=STEP_LABELS[_step])))
    _elaboration_fields[_calendar_field(_step, "actual")] = fields.Date(
        metadata=field(_l("%(step)s: done on", step=STEP_LABELS[_step])))


class _ElaborationChecks(FormSchema):
    @validates_schema(skip_on_field_errors=False)
    def check_consistency(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[Any]] = {}
        for survey in ("owner_survey", "occupant_survey"):
            if data.get(f"{survey}_on") and not data.get(f"{survey}_done"):
                errors.setdefault(f"{survey}_on", []).append(_l("Tick that the survey is done, or leave its date "
                                                                "empty."))
        for kind in ("planned", "actual"):
            dated = [(step, data[_calendar_field(step, kind)]) for step in CALENDAR_STEPS
                     if data.get(_calendar_field(step, kind))]
            for step, day in dated:
                earlier = [(other, other_day) for other, other_day in dated
                           if STEP_RANKS[other] < STEP_RANKS[step] and other_day > day]
                if earlier:
                    errors.setdefault(_calendar_field(step, kind), []).append(_l(
                        "This step cannot come before “%(step)s” (%(day)s): the steps follow each other.",
                        step=STEP_LABELS[earlier[-1][0]], day=earlier[-1][1].isoformat()))
        for step in CALENDAR_STEPS:
            actual = data.get(_calendar_field(step, "actual"))
            if actual and actual > dt.date.today() + dt.timedelta(days=1):
                errors.setdefault(_calendar_field(step, "actual"), []).append(_l(
                    "A step cannot be done in the future: enter its planned date instead."))
        if errors:
            raise ValidationError(errors)

    @post_load
    def to_record(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        out = {name: value for name, value in data.items() if not name.startswith("calendar_")}
        out["calendar"] = clean_calendar({step: {"planned": data.get(_calendar_field(step, "planned")),
                                                 "actual": data.get(_calendar_field(step, "actual"))}
                                          for step in CALENDAR_STEPS})
        return out


ElaborationForm = type("ElaborationForm", (_ElaborationChecks,), dict(_elaboration_fields))

_forms = FormRegistry()
_forms.register("rmp.record_application", ApplicationForm, _l("RMP decision and request"))
_forms.register("rmp.record_elaboration", ElaborationForm, _l("RMP elaboration"))
APPLICATION_FORM = _forms.get("rmp.record_application")
ELABORATION_FORM = _forms.get("rmp.record_elaboration")
FORMS = {"application": APPLICATION_FORM, "elaboration": ELABORATION_FORM}

# The blocks of each form, as the manual describes the tabs.
APPLICATION_GROUPS: list[tuple[Any, list[str]]] = [
    (_l("VEKA application"), ["association_name", "association_enterprise_number", "syndic_name", "building_units",
                              "building_year", "ga_decision_on", "application_submitted_on"]),
    (_l("Support by the one-stop shop"), ["support_actions", "energy_data_requested_on", "support_notes"]),
    (_l("Quotes and award"), ["quotes_received_on", "quotes_count", "awarded_to", "awarded_on", "awarded_amount",
                              "veka_subsidy", "contract_received", "contract_received_on"]),
]
ELABORATION_GROUPS: list[tuple[Any, list[str]]] = [
    (_l("Surveys"), ["owner_survey_done", "owner_survey_on", "occupant_survey_done", "occupant_survey_on"]),
    (_l("Elements of the plan"), ["elements_received"]),
    (_l("Preparation of the general assembly"), ["ga_preparation", "ga_date"]),
    (_l("Calendar"), [_calendar_field(step, kind) for step in CALENDAR_STEPS for kind in ("planned", "actual")]),
]
GROUPS = {"application": APPLICATION_GROUPS, "elaboration": ELABORATION_GROUPS}


def validate_part(part: str, data: dict[str, Any]) -> dict[str, Any]:
    """The cleaned data of one part of the record, or :class:`~engine.workflow.errors.FormInvalid`."""
    return _forms.validate(FORMS[part].key, data)


def record_values(part: str, record: RmpRecord | None) -> dict[str, Any]:
    """A record as the form of ``part`` shows it."""
    if record is None:
        return {}
    from engine.cases.rmp import PARTS

    data: dict[str, Any] = {name: getattr(record, name) for name in PARTS[part] if name != "calendar"}
    if part == "elaboration":
        for step, entry in clean_calendar(record.calendar).items():
            for kind in ("planned", "actual"):
                data[_calendar_field(step, kind)] = entry[kind]
    values: dict[str, Any] = {}
    for spec in FORMS[part].fields():
        value = data.get(spec.name)
        if value is None:
            continue
        if spec.multiple:
            values[spec.name] = [str(v) for v in value]
        elif spec.widget == "checkbox":
            values[spec.name] = bool(value)
        else:
            values[spec.name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return values
