"""A valid answer for every task form that ships with Guichet.

Used wherever a dossier must be driven through its real process without a person: the tests of
the flows, the benchmarks and the demo data. A test fails when a form changes and its sample no
longer validates, so keep them in step with forms/.
"""

from __future__ import annotations

from typing import Any

SAMPLE_ANSWERS: dict[str, dict[str, Any]] = {
    "information.request": {
        "question_types": ["technical_question"], "question_summary": "Roof insulation",
        "request_date": "2026-04-03", "source": "counter", "first_action": "information_given",
        "first_action_date": "2026-04-07",
    },
    "information.answer": {"answer": "Explained", "referral_product": "none"},
    "requests_loans.request": {"request_date": "2026-04-01", "source": "phone", "requested_item": "Rubble bags",
                               "quantity": 3},
    "requests_loans.handling": {"outcome": "delivered", "handled_date": "2026-04-03"},
    "advice.request": {"coach_email": "coach@guichet.test", "request_date": "2026-04-01", "source": "email",
                       "request_summary": "Renovation advice for a terraced house"},
    "advice.preparation": {"visit_date": "2026-04-10", "works_done": ["glazing"],
                           "works_done_end_date": "2019-01-01"},
    "advice.themes": {"themes": ["insulation", "heating"]},
    "advice.advice": {"report_date": "2026-04-20", "advice": "Insulate the roof first."},
    "advice.decision": {"report_sent_date": "2026-04-21", "decision": "go_on", "follow_up_needed": True},
    "dossier.survey": {"satisfaction": "5"},
    "project_design.request": {"request_date": "2026-05-01", "source": "email", "planned_works": ["roof_insulation"]},
    "project_design.studies": {"studies_needed": False},
    "project_design.quotes": {"quotes_requested_date": "2026-05-10", "quotes_received": True,
                              "final_decision": "execute"},
    "execution.request": {"request_date": "2026-06-01", "source": "email", "planned_works": ["roof_insulation"]},
    "execution.preparation": {"permit_needed": False},
    "execution.execution": {"start_date": "2026-07-01", "end_date": "2026-07-15"},
    "loan.request": {"request_date": "2026-04-01", "source": "counter", "requested_amount": "15000",
                     "purpose": "Roof insulation and glazing"},
    "loan.analysis": {"income_checked": True, "documents_complete": True, "analysis": "Repayment capacity is fine."},
    "loan.decision": {"decision": "approved", "decision_date": "2026-04-20", "granted_amount": "15000"},
    "loan.signature": {"signature_date": "2026-04-25"},
    "loan.collection": {"paid_out_date": "2026-05-02", "paid_out_amount": "15000"},
    "loan.circulation": {"repaid_date": "2036-05-02"},
    "premiums.submission": {"submitted_date": "2026-04-01", "source": "email", "requested_amount": "1200"},
    "premiums.processing": {"documents_complete": True},
    "premiums.decision": {"decision": "granted", "decision_date": "2026-04-15", "granted_amount": "1200"},
    "premiums.report": {"report_date": "2026-04-16", "report": "Green roof checked on site."},
    "premiums.payment": {"paid_date": "2026-05-01", "paid_amount": "1200"},
}
