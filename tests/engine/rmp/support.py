"""Helpers of the RMP tests: every dossier diagram deployed (the subtype diagrams too), a user,
and valid answers for the RMP task forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.models import DossierSubtype
from engine.cases.subtypes import seed_subtypes
from engine.workflow.models import HumanTask, HumanTaskState
from engine.workflow.runtime import WorkflowEngine
from tests.engine.cases.support import ANSWERS, deploy_all

SUBTYPE_DIAGRAMS = sorted((Path(__file__).resolve().parents[3] / "bpmn" / "dossiers" / "subtypes").glob("*.bpmn"))

RMP_ANSWERS: dict[str, dict[str, Any]] = {
    **ANSWERS,
    "rmp.syndic_meeting": {"syndic_meeting_date": "2026-04-02", "syndic_meeting_participants": "Syndic Janssens"},
    "rmp.working_group_meeting": {"working_group_meeting_date": "2026-04-09",
                                  "working_group_meeting_notes": "Five co-owners present"},
    "rmp.documents_delivery": {"documents_delivery_date": "2026-04-10",
                               "documents_delivered": ["brochure", "application_form"]},
    "rmp.information_session": {"information_session_date": "2026-04-20", "information_session_attendees": 23,
                                "information_session_follow_up": "apply"},
    "rmp.application": {"application_submitted_date": "2026-05-02", "application_complete": True},
    "rmp.delivery": {"rmp_delivered_date": "2026-11-02", "general_assembly_date": "2026-11-20",
                     "general_assembly_decision": "approved"},
}

PREDEFINED = ["documents_delivery", "information_session", "syndic_meeting", "working_group_meeting"]


def deploy_everything(session: Session, engine: WorkflowEngine) -> None:
    deploy_all(session, engine)
    for path in SUBTYPE_DIAGRAMS:
        engine.deploy(session, path.read_text(), f"bpmn/dossiers/subtypes/{path.name}")
    seed_subtypes(session)


def subtype_id(session: Session, dossier_type: str, code: str) -> int:
    return session.scalar(select(DossierSubtype.id).where(DossierSubtype.type == dossier_type,
                                                          DossierSubtype.code == code))


def worker(session: Session, email: str = "anna@guichet.test") -> int:
    return create_user(session, email, "Anna", "Correct-Horse-42", [Role.CASE_WORKER]).id


def open_tasks(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.state == HumanTaskState.READY)
                                .order_by(HumanTask.bpmn_id)))


def complete(session: Session, engine: WorkflowEngine, task: HumanTask, user_id: int) -> None:
    engine.complete(session, task.id, RMP_ANSWERS[task.form_key], user_id=user_id, may_override_assignee=True)
