"""The home page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from engine.cases.models import Dossier
from engine.db import utcnow
from engine.workflow.models import HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from webapp.auth import BACK_OFFICE, require_roles
from webapp.context import db_session
from webapp.tasks.queues import takeable_queues

bp = Blueprint("home", __name__)


def _count(query: Any) -> int:
    return db_session().scalar(query) or 0


@bp.get("/")
@require_roles()
def index() -> Any:
    if not current_user.has_role(*BACK_OFFICE):
        return render_template("home/index.html", back_office=False)
    ready = (HumanTask.state == HumanTaskState.READY,)
    mine = _count(select(func.count(HumanTask.id)).where(*ready, HumanTask.assignee_id == current_user.id))
    overdue = _count(select(func.count(HumanTask.id)).where(
        *ready, HumanTask.assignee_id == current_user.id, HumanTask.due_at < utcnow()))
    available = _count(select(func.count(HumanTask.id)).where(
        *ready, HumanTask.assignee_id.is_(None), takeable_queues(current_user)))
    open_dossiers = _count(
        select(func.count(Dossier.id)).join(ProcessInstance, ProcessInstance.id == Dossier.process_instance_id)
        .where(ProcessInstance.status.not_in([InstanceStatus.COMPLETED, InstanceStatus.TERMINATED]))
    )
    by_phase = db_session().execute(
        select(Dossier.type, ProcessInstance.phase, func.count(Dossier.id))
        .join(ProcessInstance, ProcessInstance.id == Dossier.process_instance_id)
        .group_by(Dossier.type, ProcessInstance.phase)
        .order_by(Dossier.type, ProcessInstance.phase)
    ).all()
    return render_template("home/index.html", back_office=True, mine=mine, overdue=overdue, available=available,
                           open_dossiers=open_dossiers, by_phase=by_phase)
