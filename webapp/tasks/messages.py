"""What people are told when completing a task did not work out."""

from __future__ import annotations

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.workflow.models import HumanTask, HumanTaskState
from webapp.labels import process_text


def user_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.name if user is not None else None


def already_done_message(session: Session, task: HumanTask) -> str:
    """The conflict message when the task was closed by someone else meanwhile."""
    name = process_text(task.name)
    when = format_datetime(task.completed_at, "short") if task.completed_at else _("a moment ago")
    if task.state == HumanTaskState.COMPLETED:
        who = user_name(session, task.completed_by_id) or _("someone else")
        return _("“%(task)s” was already completed by %(who)s (%(when)s). Your input was not saved; it is "
                 "still in the form below so that you can copy what you need. Open the dossier to see "
                 "what was recorded.", task=name, who=who, when=when)
    return _("“%(task)s” was cancelled (%(when)s): the dossier moved on without it. Your input was not "
             "saved; it is still in the form below.", task=name, when=when)


def changed_meanwhile_message() -> str:
    return _("Someone else changed this dossier at the same moment. Nothing was saved; your input is "
             "still in the form below: submit it again.")


def assigned_elsewhere_message(session: Session, task: HumanTask) -> str:
    who = user_name(session, task.assignee_id) or _("someone else")
    return _("This task is assigned to %(who)s. Ask a dispatcher to reassign it if you should do it.", who=who)


def not_runnable_message() -> str:
    return _("This dossier is suspended or closed: nothing more can be done on this task.")
