"""What the designer's pages and JSON endpoints share: the engine's registries, the checks with
the dossier phases, and deploying under the key being edited (one command, one transaction)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.phases import PHASE_FLOWS
from engine.workflow.deploy import DeployResult, check, deploy
from engine.workflow.drafts import discard_draft
from engine.workflow.errors import Problem
from engine.workflow.models import ProcessVersion
from webapp.context import services
from webapp.designer.template import KEY_PATTERN


def key_or_404(key: str) -> str:
    """A process key as the URL gives it: anything that could not be a process id is not found."""
    if not KEY_PATTERN.match(key):
        abort(404)
    return key


def source_name(session: Session, key: str) -> str:
    """The file name a new version is stored under: the one the process came from, if any."""
    latest = session.scalar(
        select(ProcessVersion.source_name).where(ProcessVersion.key == key)
        .order_by(ProcessVersion.version.desc()).limit(1)
    )
    return latest or f"{key}.bpmn"


def problems_of(bpmn_xml: str, key: str | None, name: str) -> list[Problem]:
    engine = services().engine
    _parsed, problems = check(bpmn_xml, name, forms=engine.forms, operators=engine.operators,
                              phase_flows=PHASE_FLOWS, expected_key=key)
    return problems


def deploy_diagram(session: Session, key: str, bpmn_xml: str, *, user_id: int, comment: str) -> DeployResult:
    """Deploy what the designer drew as the next version of ``key``; the draft is done with."""
    engine = services().engine
    result = deploy(session, bpmn_xml, source_name(session, key), forms=engine.forms, operators=engine.operators,
                    user_id=user_id, comment=comment, phase_flows=PHASE_FLOWS, expected_key=key)
    discard_draft(session, key)
    return result


def problem_json(problem: Problem) -> dict[str, object]:
    return {"element_id": problem.element_id, "message": problem.message, "line": problem.line}
