"""Forms of the Requests & loans dossier (seed 001 §5.1: Demande - Dossier (en cours) - Terminé):
a citizen asks for an item or a service (rubble bags, energy meter, street garden…)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from forms.base_schema import FormSchema
from forms.dossier_fields import choice, day, text, yes_no
from forms.information import SOURCES
from forms.registry import Choices, field, registry

OUTCOMES: Choices = [
    ("delivered", _l("Delivered or lent")),
    ("returned", _l("Returned")),
    ("refused", _l("Refused")),
    ("cancelled", _l("Cancelled by the citizen")),
]


@registry.form("requests_loans.request", _l("Register the request"),
               _l("What does the citizen ask for, and when?"))
class RequestsLoansRequestForm(FormSchema):
    request_date = day(_l("Date of the request"), required=True, fact="request_date")
    source = choice(_l("Source"), SOURCES)
    requested_item = text(_l("Requested item or service"), required=True)
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, error=_l("Enter 1 or more.")),
                              metadata=field(_l("Quantity")))


@registry.form("requests_loans.handling", _l("Handle the request"),
               _l("Record the delivery or the loan, and its return when there is one."))
class RequestsLoansHandlingForm(FormSchema):
    outcome = choice(_l("Outcome"), OUTCOMES)
    handled_date = day(_l("Date"), required=True)
    return_expected = yes_no(_l("The item must be returned"))
    notes = text(_l("Notes"), long=True)
