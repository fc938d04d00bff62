"""Queue pages (open e-mails, not linked / linked to a dossier; open tasks: claim, assign, release,
dispatch), "items I am working on", and the administration of queues. The e-mails' actions are on
the mail page (webapp/mail)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from engine.access.models import Role, User
from engine.queues import commands
from engine.queues.models import Queue
from engine.workflow.errors import ConflictError, EngineError, NotFound
from engine.workflow.models import HumanTask, HumanTaskState
from webapp.auth import BACK_OFFICE, require_roles, roles_guard
from webapp.context import db_session, services
from webapp.labels import process_text
from webapp.mail.queries import COUNT_CAP, my_mails, queue_mails
from webapp.tasks.queries import _base_query, _by_urgency, _rows, my_tasks
from webapp.transactions import run_command

bp = Blueprint("queues", __name__, url_prefix="/queues")

# A queue page lists its most urgent open tasks (the task list, filtered on the queue, pages
# through all of them) and counts at most COUNT_CAP: it costs the same in a queue of 100,000.
TASKS_SHOWN = 50
bp.before_request(roles_guard(*BACK_OFFICE))


def _oversees() -> bool:
    return current_user.has_role(Role.DISPATCHER, Role.MANAGER)


def _may_work(queue: Queue) -> bool:
    return current_user.has_role(Role.DISPATCHER) or commands.is_member(db_session(), queue.code, current_user.id)


def _queue_or_404(code: str) -> Queue:
    queue = commands.queue_by_code(db_session(), code)
    if queue is None:
        abort(404)
    return queue


@bp.get("/")
def index() -> Any:
    session = db_session()
    queues = commands.all_queues(session, active_only=True)
    if not _oversees():
        mine = commands.member_codes(session, current_user.id)
        queues = [q for q in queues if q.code in mine]
    return render_template("queues/index.html", queues=queues)


@bp.get("/working")
def working() -> Any:
    session = db_session()
    return render_template("queues/working.html", rows=my_tasks(session, current_user),
                           mails_unlinked=my_mails(session, current_user.id, linked=False),
                           mails_linked=my_mails(session, current_user.id, linked=True))


@bp.get("/<code>")
def show(code: str) -> Any:
    queue = _queue_or_404(code)
    may_work = _may_work(queue)  # one membership query for the page
    if not (may_work or _oversees()):
        abort(403)
    session = db_session()
    open_tasks = _base_query().where(HumanTask.queue == code)
    rows = _rows(session, _by_urgency(open_tasks).limit(TASKS_SHOWN))
    total = session.scalar(select(func.count()).select_from(  # the task table alone: no join to count
        select(HumanTask.id).where(HumanTask.state == HumanTaskState.READY, HumanTask.queue == code)
        .limit(COUNT_CAP + 1).subquery())) or 0
    return render_template(
        "queues/show.html", queue=queue, rows=rows, tasks_more=total > len(rows),
        tasks_count=f"{COUNT_CAP}+" if total > COUNT_CAP else str(total), may_work=may_work,
        mails_unlinked=queue_mails(session, code, linked=False), mails_linked=queue_mails(session, code, linked=True),
        may_dispatch=may_work or _oversees(),
        targets=[q for q in commands.all_queues(session, active_only=True) if q.code != code])


def _task_in(queue: Queue, task_id: int) -> HumanTask:
    task = db_session().get(HumanTask, task_id)
    if task is None or task.queue != queue.code:
        abort(404)
    return task


def _act(code: str, task_id: int, action: Any, done: str) -> Any:
    try:
        run_command(action)
    except ConflictError:
        flash(_("Someone else changed this task just before you."), "error")
    except EngineError as exc:
        flash(str(exc), "error")
    else:
        flash(done, "success")
    return redirect(url_for("queues.show", code=code))


@bp.post("/<code>/tasks/<int:task_id>/claim")
def claim(code: str, task_id: int) -> Any:
    queue = _queue_or_404(code)
    task = _task_in(queue, task_id)
    if not _may_work(queue):
        abort(403)
    user_id = current_user.id
    return _act(code, task_id, lambda s: services().engine.claim(s, task_id, user_id=user_id),
                _("“%(task)s” is now yours.", task=process_text(task.name)))


@bp.post("/<code>/tasks/<int:task_id>/release")
def release(code: str, task_id: int) -> Any:
    queue = _queue_or_404(code)
    task = _task_in(queue, task_id)
    if not (_may_work(queue) or _oversees()):
        abort(403)
    user_id = current_user.id
    force = current_user.has_role(Role.DISPATCHER) or queue.responsible_id == user_id
    return _act(code, task_id, lambda s: services().engine.unclaim(s, task_id, user_id=user_id, force=force),
                _("“%(task)s” is back in its queue.", task=process_text(task.name)))


def _selected(queue: Queue) -> list[HumanTask]:
    ids = sorted({int(v) for v in request.form.getlist("task_id") if v.isdigit()})
    if not ids:
        return []
    return list(db_session().scalars(select(HumanTask).where(HumanTask.id.in_(ids), HumanTask.queue == queue.code)
                                     .order_by(HumanTask.id)))


def _act_on_selected(queue: Queue, action_for: Any, done: Any) -> Any:
    """Run one command per selected task (each its own transaction): what succeeded stays done,
    and the page says which tasks someone else changed meanwhile."""
    tasks = _selected(queue)
    if not tasks:
        flash(_("Select at least one task first."), "error")
        return redirect(url_for("queues.show", code=queue.code))
    succeeded, conflicts = 0, []
    for task in tasks:
        try:
            run_command(action_for(task.id))
        except ConflictError:
            conflicts.append(process_text(task.name))
        except EngineError as exc:
            flash(f"{process_text(task.name)}: {exc}", "error")
        else:
            succeeded += 1
    if succeeded:
        flash(done(succeeded), "success")
    if conflicts:
        flash(_("Someone else changed these tasks just before you: %(tasks)s.", tasks=", ".join(conflicts)),
              "error")
    return redirect(url_for("queues.show", code=queue.code))


@bp.post("/<code>/tasks/assign-selected")
def assign_selected(code: str) -> Any:
    queue = _queue_or_404(code)
    if not (_may_work(queue) or _oversees()):
        abort(403)
    assignee_id = request.form.get("assignee_id", type=int)
    if assignee_id not in {m.id for m in queue.members}:
        abort(400)
    by = current_user.id
    return _act_on_selected(
        queue,
        lambda task_id: lambda s: services().engine.assign(s, task_id, assignee_id=assignee_id, by_user_id=by),
        lambda n: _("Tasks assigned: %(count)s.", count=n))


@bp.post("/<code>/tasks/dispatch-selected")
def dispatch_selected(code: str) -> Any:
    queue = _queue_or_404(code)
    if not (_may_work(queue) or _oversees()):
        abort(403)
    target, by = request.form.get("to", ""), current_user.id
    return _act_on_selected(
        queue, lambda task_id: lambda s: commands.dispatch(s, task_id, to_queue=target, by_user_id=by),
        lambda n: _("Tasks sent to another queue: %(count)s.", count=n))


# administration -------------------------------------------------------------------------------

FIELDS = commands.EDITABLE_FIELDS


@bp.get("/admin")
@require_roles(Role.ADMINISTRATOR)
def admin_index() -> Any:
    return render_template("queues/admin_index.html", queues=commands.all_queues(db_session()))


def _users() -> list[User]:
    return list(db_session().scalars(select(User).where(User.active.is_(True)).order_by(User.name)))


def _form(queue: Queue | None, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return render_template("queues/admin_form.html", queue=queue, values=values, errors=errors,
                           users=_users()), status


def _read_form(queue: Queue | None) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {f: request.form.get(f, "").strip() for f in FIELDS}
    values["responsible_id"] = request.form.get("responsible_id", type=int)
    values["member_ids"] = {int(v) for v in request.form.getlist("member_ids") if v.isdigit()}
    errors: dict[str, str] = {}
    known = {u.id for u in _users()}
    values["member_ids"] &= known
    if values["responsible_id"] not in known:
        values["responsible_id"] = None
    for field in ("code", "name_fr", "name_nl", "name_en"):
        if not values[field]:
            errors[field] = _("This field is required.")
    other = commands.queue_by_code(db_session(), values["code"]) if values["code"] else None
    if other is not None and other is not queue:
        errors["code"] = _("Another queue already has this code.")
    return values, errors


@bp.route("/admin/new", methods=["GET", "POST"])
@require_roles(Role.ADMINISTRATOR)
def admin_new() -> Any:
    if request.method == "GET":
        return _form(None, {"member_ids": set()}, {})
    values, errors = _read_form(None)
    if errors:
        return _form(None, values, errors, 422)
    by = current_user.id
    run_command(lambda session: commands.save_queue(session, None, values, by_user_id=by))
    flash(_("The queue is saved."), "success")
    return redirect(url_for("queues.admin_index"))


@bp.route("/admin/<int:queue_id>", methods=["GET", "POST"])
@require_roles(Role.ADMINISTRATOR)
def admin_edit(queue_id: int) -> Any:
    queue = db_session().get(Queue, queue_id)
    if queue is None:
        abort(404)
    if request.method == "GET":
        values = {f: getattr(queue, f) for f in FIELDS}
        values.update(responsible_id=queue.responsible_id, member_ids={m.id for m in queue.members})
        return _form(queue, values, {})
    values, errors = _read_form(queue)
    if errors:
        return _form(queue, values, errors, 422)
    active = request.form.get("active") is not None
    by = current_user.id
    run_command(lambda session: commands.save_queue(session, queue_id, values, by_user_id=by, active=active))
    flash(_("The queue is saved."), "success")
    return redirect(url_for("queues.admin_index"))


@bp.post("/admin/<int:queue_id>/active")
@require_roles(Role.ADMINISTRATOR)
def admin_set_active(queue_id: int) -> Any:
    active = request.form.get("active") == "1"

    by = current_user.id
    try:
        run_command(lambda session: commands.set_queue_active(session, queue_id, active, by_user_id=by))
    except NotFound:
        abort(404)
    flash(_("The queue is active again.") if active else _("The queue is deactivated."), "success")
    return redirect(url_for("queues.admin_index"))
