"""The home page: for back-office users the personal dashboard (seed 001 §2.3.1) — my tasks
(overdue first), my e-mails without a dossier, my e-mails with their dossier numbers, and my
queues with their open items. Each list is a view (webapp/views) the user opens and changes;
a personal view named like a shipped one replaces it on the user's dashboard.

Every count is capped (COUNT_CAP) and every list is a keyset page, so the page costs the same with
a million dossiers; the former table of dossiers by type and phase (a scan of every dossier) is
gone — the dossier views filter and export by type and phase instead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from engine.cases.models import Dossier
from engine.db import utcnow
from engine.mail.models import Mail
from engine.queues.commands import all_queues, member_codes
from engine.workflow.models import HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from webapp.auth import BACK_OFFICE, require_roles
from webapp.context import db_session
from webapp.tasks.queues import takeable_queues
from webapp.views.blueprint import ensure_seeded
from webapp.views.embed import embedded

bp = Blueprint("home", __name__)

COUNT_CAP = 1000
DASHBOARD_LISTS = ("tasks.overdue", "tasks.mine", "mails.mine_unlinked", "mails.mine_linked")  # overdue first


def _count(query: Any) -> int:
    return db_session().scalar(query) or 0


def _capped(query: Any) -> int:
    """COUNT over at most COUNT_CAP + 1 rows: a queue with a hundred thousand items costs what a
    queue with a thousand costs."""
    return _count(select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery()))


@dataclass
class QueueCount:
    code: str
    name: str
    tasks: int
    mails: int
    overdue: int

    @property
    def total(self) -> int:
        return self.tasks + self.mails


def my_queues(language: str) -> list[QueueCount]:
    mine = member_codes(db_session(), current_user.id)
    counts = []
    now = utcnow()
    for queue in all_queues(db_session(), active_only=True):
        if queue.code not in mine:
            continue
        open_tasks = select(HumanTask.id).where(HumanTask.state == HumanTaskState.READY, HumanTask.queue == queue.code)
        counts.append(QueueCount(
            code=queue.code, name=queue.name(language),
            tasks=_capped(open_tasks),
            mails=_capped(select(Mail.id).where(Mail.queue == queue.code, Mail.closed_at.is_(None))),
            overdue=_capped(open_tasks.where(HumanTask.due_at < now)),
        ))
    counts.sort(key=lambda q: (-min(q.overdue, 1), q.name))  # queues with overdue items first
    return counts


@bp.get("/")
@require_roles()
def index() -> Any:
    if not current_user.has_role(*BACK_OFFICE):
        return render_template("home/index.html", back_office=False)
    from flask_babel import get_locale

    ensure_seeded()
    ready = (HumanTask.state == HumanTaskState.READY,)
    mine = _count(select(func.count(HumanTask.id)).where(*ready, HumanTask.assignee_id == current_user.id))
    overdue = _count(select(func.count(HumanTask.id)).where(
        *ready, HumanTask.assignee_id == current_user.id, HumanTask.due_at < utcnow()))
    available = _capped(select(HumanTask.id).where(
        *ready, HumanTask.assignee_id.is_(None), takeable_queues(current_user)))
    open_dossiers = _capped(
        select(Dossier.id).join(ProcessInstance, ProcessInstance.id == Dossier.process_instance_id)
        .where(ProcessInstance.status.not_in([InstanceStatus.COMPLETED, InstanceStatus.TERMINATED]))
    )
    locale = get_locale()
    lists = [embedded(key) for key in DASHBOARD_LISTS]
    lists = [item for item in lists if item.seed_key != "tasks.overdue" or (item.table and item.table["rows"])]
    return render_template("home/index.html", back_office=True, mine=mine, overdue=overdue, available=available,
                           open_dossiers=open_dossiers, lists=lists, count_cap=COUNT_CAP,
                           queues=my_queues(locale.language if locale else "fr"))
