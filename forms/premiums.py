"""Forms of the Premiums & subsidies dossier (seed 001 §5.1: 10. Soumis - 20. Traitement -
30. Décision - 40. Rapport - 50. Paiement - 60. Terminé)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from forms.base_schema import FormSchema
from forms.dossier_fields import amount, choice, day, text, yes_no
from forms.information import SOURCES
from forms.registry import Choices, registry

PREMIUM_DECISIONS: Choices = [
    ("granted", _l("Granted")),
    ("partly_granted", _l("Partly granted")),
    ("refused", _l("Refused")),
]


@registry.form("premiums.submission", _l("Register the application"))
class PremiumSubmissionForm(FormSchema):
    submitted_date = day(_l("Date submitted"), required=True, fact="request_date")
    source = choice(_l("Source"), SOURCES)
    requested_amount = amount(_l("Requested amount (EUR)"), required=True,
                              fact="premium_requested_amount")


@registry.form("premiums.processing", _l("Process the application"))
class PremiumProcessingForm(FormSchema):
    documents_complete = yes_no(_l("Documents complete"))
    site_check_done = yes_no(_l("Site check done"))
    processing_notes = text(_l("Notes"), long=True)


@registry.form("premiums.decision", _l("Decide on the premium"))
class PremiumDecisionForm(FormSchema):
    decision = choice(_l("Decision"), PREMIUM_DECISIONS, fact="premium_decision")
    decision_date = day(_l("Date of the decision"), required=True, fact="decision_date")
    granted_amount = amount(_l("Granted amount (EUR)"), fact="premium_granted_amount")


@registry.form("premiums.report", _l("Report"))
class PremiumReportForm(FormSchema):
    report_date = day(_l("Date of the report"), required=True)
    report = text(_l("Report"), required=True, long=True)


@registry.form("premiums.payment", _l("Pay the premium"))
class PremiumPaymentForm(FormSchema):
    paid_date = day(_l("Date paid"), required=True)
    paid_amount = amount(_l("Amount paid (EUR)"), required=True, fact="premium_paid_amount")
