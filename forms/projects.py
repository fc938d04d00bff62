"""Forms of the Project design and Execution dossiers (seed 001 §5.4.3 and §5.4.4). The works
themselves (quotes, contractors, decided investments) are kept in the works area; these forms
record the steps of the dossier."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from forms.advice import WORKS
from forms.base_schema import FormSchema
from forms.dossier_fields import choice, choices_list, day, text, yes_no
from forms.information import SOURCES
from forms.registry import Choices, registry

BUILDING_PARTS: Choices = [
    ("roof", _l("Roof")),
    ("facade", _l("Facade")),
    ("floor", _l("Floor")),
    ("installations", _l("Technical installations")),
    ("common_parts", _l("Common parts of the building")),
]

FINAL_DECISIONS: Choices = [
    ("execute", _l("The works will be carried out")),
    ("not_execute", _l("The works will not be carried out")),
    ("postponed", _l("Postponed")),
]


class _RequestForm(FormSchema):
    request_date = day(_l("Date of the request"), required=True, fact="request_date")
    source = choice(_l("Source"), SOURCES)
    planned_works = choices_list(_l("Planned works"), WORKS, required=True)
    apartment_common_parts = yes_no(_l("Works in the common parts of a building"))


registry.register("project_design.request", type("ProjectDesignRequestForm", (_RequestForm,), {}),
                  _l("Register the project"), _l("Which works does the citizen plan?"))


@registry.form("project_design.studies", _l("Further studies"),
               _l("Studies, energy performance contract, design office advice before quotes are asked."))
class ProjectDesignStudiesForm(FormSchema):
    studies_needed = yes_no(_l("Further studies are needed"))
    design_office_advice = yes_no(_l("Advice of a design office"))
    studies_notes = text(_l("Studies and findings"), long=True)


@registry.form("project_design.quotes", _l("Quotes"),
               _l("The quotes asked and received, and the citizen's final decision."))
class ProjectDesignQuotesForm(FormSchema):
    quotes_requested_date = day(_l("Date the quotes were asked"), required=True)
    quotes_received = yes_no(_l("Quotes received"))
    quotes_meet_premium_conditions = yes_no(_l("The quotes meet the renovation premium conditions"))
    final_decision = choice(_l("Final decision"), FINAL_DECISIONS)


registry.register("execution.request", type("ExecutionRequestForm", (_RequestForm,), {}),
                  _l("Register the execution"), _l("Which works will be carried out?"))


@registry.form("execution.preparation", _l("Prepare the works"),
               _l("Permit and street furniture to ask for before the works start."))
class ExecutionPreparationForm(FormSchema):
    permit_needed = yes_no(_l("An environment permit is needed"))
    permit_parts = choices_list(_l("Building parts under permit"), BUILDING_PARTS)
    permit_requested_date = day(_l("Date the permit was asked"))
    permit_approved_date = day(_l("Date the permit was approved"))
    street_furniture = text(_l("Street furniture and preparatory works"), long=True,
                            help=_l("Signs on the public domain, public lighting to remove… ask about two "
                                    "months before the works start."))


@registry.form("execution.execution", _l("Follow the works"), _l("The works as carried out."))
class ExecutionExecutionForm(FormSchema):
    start_date = day(_l("Start of the works"), required=True)
    end_date = day(_l("End of the works"), required=True)
    site_visits = text(_l("Site visits"), long=True)
