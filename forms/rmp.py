"""Task forms of the renovation master plan (RMP) subtypes (seed 001 part 6).

§6.1, Information dossier "Interest in the renovation master plan": the four predefined tasks opened
at creation (bpmn/dossiers/subtypes/information_rmp_interest.bpmn). They run in parallel, so each
keeps its answers under its own names (the branches' data meet at the join).

§6.2, Advice dossier "Renovation master plan" (bpmn/dossiers/subtypes/advice_rmp.bpmn): the coach
supports the VEKA application, then follows the elaboration of the plan. The detailed RMP record
(application, award, surveys, calendar…) is kept on the dossier's tabs, see engine/cases/rmp.py.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from forms.base_schema import FormSchema
from forms.dossier_fields import choice, choices_list, day, text, yes_no
from forms.registry import Choices, field, registry

# The documents the one-stop shop hands over to a co-ownership interested in an RMP.
RMP_DOCUMENTS: Choices = [
    ("brochure", _l("Brochure on the renovation master plan")),
    ("veka_framework_contract", _l("VEKA framework contract: conditions and procedure")),
    ("application_form", _l("VEKA application form")),
    ("model_ga_decision", _l("Model decision for the general assembly")),
    ("roadmap", _l("Roadmap of the collective renovation")),
    ("financing_overview", _l("Overview of premiums, loans and financing")),
]

INTEREST_FOLLOW_UPS: Choices = [
    ("apply", _l("The association wants to apply for an RMP")),
    ("thinking", _l("The association is still thinking")),
    ("not_now", _l("Not now")),
]

GA_DECISIONS: Choices = [
    ("approved", _l("Approved by the general assembly")),
    ("postponed", _l("Postponed")),
    ("rejected", _l("Rejected")),
]


def _participants(label: Any) -> fields.String:
    return fields.String(
        validate=validate.Length(max=1000, error=_l("Write at most 1000 characters.")),
        metadata=field(label, widget="textarea", help=_l("Names and roles, one per line.")),
    )


@registry.form("rmp.syndic_meeting", _l("Preliminary meeting with the syndic"),
               _l("Record the preliminary meeting with the syndic of the building."))
class SyndicMeetingForm(FormSchema):
    syndic_meeting_date = day(_l("Date of the meeting"), required=True)
    syndic_meeting_participants = _participants(_l("Participants"))
    syndic_meeting_notes = text(_l("Notes"), long=True)


@registry.form("rmp.working_group_meeting", _l("Preliminary meeting with the co-owners' association or working group"),
               _l("Record the preliminary meeting with the co-owners' association or its working group."))
class WorkingGroupMeetingForm(FormSchema):
    working_group_meeting_date = day(_l("Date of the meeting"), required=True)
    working_group_meeting_participants = _participants(_l("Participants"))
    working_group_meeting_notes = text(_l("Notes"), long=True)


@registry.form("rmp.documents_delivery", _l("Delivery of the RMP documents"),
               _l("Which documents on the renovation master plan were handed over, and when?"))
class DocumentsDeliveryForm(FormSchema):
    documents_delivery_date = day(_l("Date of delivery"), required=True)
    documents_delivered = choices_list(_l("Documents delivered"), RMP_DOCUMENTS, required=True)
    documents_delivery_notes = text(_l("Notes"), long=True)


@registry.form("rmp.information_session", _l("Information session for the co-owners' association"),
               _l("Record the information session on the renovation master plan."))
class InformationSessionForm(FormSchema):
    information_session_date = day(_l("Date of the session"), required=True)
    information_session_attendees = fields.Integer(
        validate=validate.Range(min=0, max=10000, error=_l("Enter a number between 0 and 10000.")),
        metadata=field(_l("Number of people present")),
    )
    information_session_follow_up = choice(_l("What next?"), INTEREST_FOLLOW_UPS)
    information_session_notes = text(_l("Notes"), long=True)


@registry.form("rmp.application", _l("Support the VEKA application"),
               _l("Fill in once the co-owners' association has sent its application to VEKA. The details "
                  "go on the tab “RMP timeline & decision/request”."))
class ApplicationTaskForm(FormSchema):
    application_submitted_date = day(_l("Date the application was sent to VEKA"), required=True)
    application_complete = yes_no(_l("The application file is complete"))
    application_notes = text(_l("Notes"), long=True)


@registry.form("rmp.delivery", _l("Follow the elaboration of the RMP"),
               _l("Fill in after the general assembly where the renovation master plan was presented."))
class DeliveryTaskForm(FormSchema):
    rmp_delivered_date = day(_l("Date the renovation master plan was delivered"), required=True)
    general_assembly_date = day(_l("Date of the general assembly"), required=True)
    general_assembly_decision = choice(_l("Decision of the general assembly"), GA_DECISIONS)
    delivery_notes = text(_l("Notes"), long=True)

    @validates_schema(skip_on_field_errors=False)
    def check_dates(self, data: dict[str, Any], **_kwargs: Any) -> None:
        delivered, assembly = data.get("rmp_delivered_date"), data.get("general_assembly_date")
        if delivered and assembly and assembly < delivered:
            raise ValidationError(_l("The general assembly cannot come before the plan was delivered."),
                                  field_name="general_assembly_date")
