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
from forms.samples import SAMPLE_ANSWERS

DIAGRAMS = sorted((Path(__file__).resolve().parents[3] / "bpmn" / "dossiers").glob("*.bpmn"))

ANSWERS: dict[str, dict[str, Any]] = SAMPLE_ANSWERS


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
