"""Helpers for the dossier tests: the real forms, every diagram under bpmn/dossiers, and valid
answers for each task form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import forms.catalog  # noqa: F401 - registers the shipped forms
from engine.cases.phases import install_phase_history
from engine.workflow.models import HumanTask, HumanTaskState
from engine.workflow.operators import OperatorRegistry
from engine.workflow.runtime import WorkflowEngine
from forms import registry

DIAGRAMS = sorted((Path(__file__).resolve().parents[3] / "bpmn" / "dossiers").glob("*.bpmn"))

ANSWERS: dict[str, dict[str, Any]] = {
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


def make_engine() -> WorkflowEngine:
    return install_phase_history(WorkflowEngine(operators=OperatorRegistry(), forms=registry))


def deploy_all(session: Session, engine: WorkflowEngine) -> None:
    for path in DIAGRAMS:
        engine.deploy(session, path.read_text(), f"bpmn/dossiers/{path.name}")


def ready_task(session: Session, instance_id: int) -> HumanTask | None:
    return session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                  HumanTask.state == HumanTaskState.READY).limit(1))


def complete_next(session: Session, engine: WorkflowEngine, instance_id: int, user_id: int) -> HumanTask | None:
    """Complete the instance's ready task with valid answers; None when there is none."""
    task = ready_task(session, instance_id)
    if task is not None:
        engine.complete(session, task.id, ANSWERS[task.form_key], user_id=user_id, may_override_assignee=True)
    return task
