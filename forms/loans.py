"""Forms of the Loan dossier (seed 001 §5.1: Demande - Analyse - Décision - Signature -
Encaissement - En circulation - Terminé)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from forms.base_schema import FormSchema
from forms.dossier_fields import amount, choice, day, text, yes_no
from forms.information import SOURCES
from forms.registry import Choices, registry

LOAN_DECISIONS: Choices = [
    ("approved", _l("Approved")),
    ("refused", _l("Refused")),
]


@registry.form("loan.request", _l("Register the loan request"), _l("The amount and purpose asked."))
class LoanRequestForm(FormSchema):
    request_date = day(_l("Date of the request"), required=True, fact="request_date")
    source = choice(_l("Source"), SOURCES)
    requested_amount = amount(_l("Requested amount (EUR)"), required=True, fact="loan_requested_amount")
    purpose = text(_l("Purpose of the loan"), required=True, long=True)


@registry.form("loan.analysis", _l("Analyse the loan request"), _l("Income check and repayment capacity."))
class LoanAnalysisForm(FormSchema):
    income_checked = yes_no(_l("Income checked"))
    documents_complete = yes_no(_l("Documents complete"))
    analysis = text(_l("Analysis"), required=True, long=True)


@registry.form("loan.decision", _l("Decide on the loan"))
class LoanDecisionForm(FormSchema):
    decision = choice(_l("Decision"), LOAN_DECISIONS, fact="loan_decision")
    decision_date = day(_l("Date of the decision"), required=True, fact="decision_date")
    granted_amount = amount(_l("Granted amount (EUR)"), fact="loan_granted_amount")


@registry.form("loan.signature", _l("Sign the loan agreement"))
class LoanSignatureForm(FormSchema):
    signature_date = day(_l("Date of signature"), required=True)


@registry.form("loan.collection", _l("Pay out the loan"))
class LoanCollectionForm(FormSchema):
    paid_out_date = day(_l("Date paid out"), required=True)
    paid_out_amount = amount(_l("Amount paid out (EUR)"), required=True, fact="loan_paid_out_amount")


@registry.form("loan.circulation", _l("Follow the repayments"))
class LoanCirculationForm(FormSchema):
    repaid_date = day(_l("Date fully repaid"), required=True)
    notes = text(_l("Notes"), long=True)
