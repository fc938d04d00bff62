"""Forms of the Advice dossier (seed 001 §5.4.2: Demande - Avis - Enquête auprès des clients -
Terminé). The request assigns the renovation coach; the advice phase prepares the home visit
(works already done or decided at the site address), records the themes discussed, the advice
and the citizen's decision; the survey closes the dossier."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validates_schema

from forms.base_schema import FormSchema
from forms.dossier_fields import choice, choices_list, day, text, yes_no
from forms.information import SOURCES
from forms.registry import Choices, field, registry

WORKS: Choices = [
    ("roof_insulation", _l("Roof insulation")),
    ("wall_insulation", _l("Wall insulation")),
    ("floor_insulation", _l("Floor insulation")),
    ("glazing", _l("Glazing and window frames")),
    ("heat_pump", _l("Heat pump")),
    ("boiler", _l("Condensing boiler")),
    ("ventilation", _l("Ventilation")),
    ("solar_panels", _l("Solar panels")),
    ("green_roof", _l("Green roof")),
    ("rainwater", _l("Rainwater harvesting or infiltration")),
]

THEMES: Choices = [
    ("insulation", _l("Insulation")),
    ("heating", _l("Heating")),
    ("ventilation", _l("Ventilation")),
    ("renewable_energy", _l("Renewable energy")),
    ("water", _l("Water")),
    ("greenery", _l("Greenery and adaptation")),
    ("financing", _l("Premiums and loans")),
    ("comfort", _l("Comfort and health")),
]

DECISIONS: Choices = [
    ("go_on", _l("Goes on with the works")),
    ("thinking", _l("Still thinking")),
    ("postponed", _l("Postponed")),
    ("stops", _l("Does not go on")),
]

SATISFACTION: Choices = [
    ("5", _l("Very satisfied")),
    ("4", _l("Satisfied")),
    ("3", _l("Neutral")),
    ("2", _l("Dissatisfied")),
    ("1", _l("Very dissatisfied")),
    ("no_answer", _l("No answer")),
]


@registry.form("advice.request", _l("Assign the coach"),
               _l("Control the request and name the renovation coach who handles the dossier."))
class AdviceRequestForm(FormSchema):
    coach_email = fields.Email(
        required=True,
        metadata=field(_l("Renovation coach (e-mail)"),
                       help=_l("The coach's account e-mail: the next tasks of the dossier are assigned to them.")),
    )
    request_date = day(_l("Date of the request"), required=True, fact="request_date")
    source = choice(_l("Source"), SOURCES)
    request_summary = text(_l("What is the advice about?"), required=True, long=True)


@registry.form("advice.preparation", _l("Prepare the advice"),
               _l("Prepare the home visit: the works already done and those already decided at the site address."))
class AdvicePreparationForm(FormSchema):
    visit_date = day(_l("Date of the home visit"), required=True)
    works_done = choices_list(_l("Works already done at the site address"), WORKS)
    works_done_end_date = day(_l("End date of the works done"),
                              help=_l("When only the year is known, enter 1 January of that year."))
    works_decided = choices_list(_l("Works decided at the site address"), WORKS)
    preparation_notes = text(_l("Preparation notes"), long=True)

    @validates_schema(skip_on_field_errors=False)
    def check_end_date(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("works_done_end_date") and not data.get("works_done"):
            raise ValidationError(_l("Choose the works done, or leave their end date empty."),
                                  field_name="works_done_end_date")


@registry.form("advice.themes", _l("Themes discussed"), _l("Fill in after the home visit."))
class AdviceThemesForm(FormSchema):
    themes = choices_list(_l("Themes discussed"), THEMES, required=True)
    visit_notes = text(_l("Notes of the visit"), long=True)


@registry.form("advice.advice", _l("Write the advice"), _l("Fill in once the report is written."))
class AdviceAdviceForm(FormSchema):
    report_date = day(_l("Date of the report"), required=True)
    advice = text(_l("Advice"), required=True, long=True)
    recommended_works = choices_list(_l("Recommended works"), WORKS)


@registry.form("advice.decision", _l("Record the decision"),
               _l("Fill in after the report was sent to the citizen."))
class AdviceDecisionForm(FormSchema):
    report_sent_date = day(_l("Date the report was sent"), required=True)
    decision = choice(_l("Decision of the citizen"), DECISIONS)
    follow_up_needed = yes_no(_l("A follow-up dossier is needed"))


@registry.form("dossier.survey", _l("Customer survey"), _l("How satisfied was the citizen?"))
class CustomerSurveyForm(FormSchema):
    satisfaction = choice(_l("Satisfaction"), SATISFACTION)
    survey_comment = text(_l("Comment"), long=True)
