"""The mail page (/mails/<id>): headers, the body as text, attachments, and the actions on it:
dispatch, take, assign, release, link to a dossier, unlink, create a dossier, reply, close.

Reading a mail is for the back office. Acting on it is for the members of its queue, the
dispatchers and its assignee; opening a dossier from it needs a case-handling role. Every
action is one engine command in one transaction, carrying the ``lock_version`` the person saw,
so acting on a mail someone else changed meanwhile says so and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.access.models import Role, User
from engine.cases.models import Dossier
from engine.mail import commands
from engine.mail.models import Mail, MailAttachment, MailDirection, SendStatus
from engine.queues.commands import all_queues, is_member, queue_by_code
from engine.workflow.errors import ConflictError, EngineError, NotFound
from integrations.documents.store import DiskStore
from integrations.mail.jobs import send_after_commit
from webapp.auth import BACK_OFFICE, CASE_HANDLERS, roles_guard
from webapp.context import db_session, services
from webapp.labels import DOSSIER_TYPES
from webapp.privacy import record_access  # the access log of personal data
from webapp.transactions import run_command

bp = Blueprint("mail", __name__, url_prefix="/mails")
bp.before_request(roles_guard(*BACK_OFFICE))

NUMBER_ATTEMPTS = 3


def _mail_or_404(mail_id: int) -> Mail:
    mail = db_session().get(Mail, mail_id)
    if mail is None:
        abort(404)
    return mail


def may_act(mail: Mail) -> bool:
    """Members of the mail's queue, dispatchers and the mail's assignee."""
    if current_user.has_role(Role.DISPATCHER) or mail.assignee_id == current_user.id:
        return True
    return mail.queue is not None and is_member(db_session(), mail.queue, current_user.id)


def _acting_on(mail_id: int) -> Mail:
    mail = _mail_or_404(mail_id)
    if not may_act(mail):
        abort(403)
    return mail


def _version() -> int | None:
    return request.form.get("lock_version", type=int)


def _back(mail_id: int) -> Any:
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target, 303)
    return redirect(url_for("mail.show", mail_id=mail_id), 303)


def _act(mail_id: int, action: Callable[[Session], Any], done: str) -> Any:
    try:
        run_command(action)
    except commands.MailTaken:
        flash(_("This e-mail is already assigned to a colleague."), "error")
    except ConflictError:
        flash(_("Someone else changed this e-mail just before you: look at it again and redo your action."), "error")
    except NotFound:
        abort(404)
    except EngineError as exc:
        flash(_refusal(str(exc)), "error")
    else:
        flash(done, "success")
    return _back(mail_id)


def _refusal(message: str) -> str:
    """The engine's refusals, in the user's language."""
    known = {
        "This e-mail is closed already.": _("This e-mail is closed already."),
        "Choose a colleague who is a member of the e-mail's queue.":
            _("Choose a colleague who is a member of the e-mail's queue."),
        "Give the number of the dossier, e.g. INF-2026-00042.":
            _("Give the number of the dossier, e.g. INF-2026-00042."),
        "This e-mail is linked to a dossier already: unlink it first.":
            _("This e-mail is linked to a dossier already: unlink it first."),
        "Choose a dossier type.": _("Choose a dossier type."),
        "Only a received e-mail can be answered.": _("Only a received e-mail can be answered."),
        "Write the text of the answer.": _("Write the text of the answer."),
        "This e-mail has no sender address to answer to.": _("This e-mail has no sender address to answer to."),
        "Only an outgoing e-mail whose sending failed can be sent again.":
            _("Only an outgoing e-mail whose sending failed can be sent again."),
    }
    if message in known:
        return known[message]
    if message.startswith("There is no dossier with the number"):
        return _("There is no dossier with the number %(number)s.", number=message.rsplit(" ", 1)[-1].rstrip("."))
    if message.startswith("There is no active queue"):
        return _("Choose one of the active queues.")
    return message


@bp.get("/<int:mail_id>")
def show(mail_id: int) -> Any:
    mail = _mail_or_404(mail_id)
    session = db_session()
    queue = queue_by_code(session, mail.queue) if mail.queue else None
    dossier = session.get(Dossier, mail.dossier_id) if mail.dossier_id else None
    assignee = session.get(User, mail.assignee_id) if mail.assignee_id else None
    replies = list(session.scalars(select(Mail).where(Mail.in_reply_to == mail.message_id)
                                   .order_by(Mail.received_at, Mail.id).limit(50)))
    answered = session.scalar(select(Mail).where(Mail.message_id == mail.in_reply_to)) if mail.in_reply_to else None
    record_access("view", "mail", mail.id)
    return render_template(
        "mail/show.html", mail=mail, queue=queue, dossier=dossier, assignee=assignee, replies=replies,
        answered=answered, may_act=may_act(mail) and mail.closed_at is None,
        may_resend=may_act(mail) and mail.send_status == SendStatus.FAILED,
        may_open_dossier=current_user.has_role(*CASE_HANDLERS),
        targets=[q for q in all_queues(session, active_only=True) if q.code != mail.queue],
        members=list(queue.members) if queue else [], dossier_types=list(DOSSIER_TYPES.items()),
        SendStatus=SendStatus, MailDirection=MailDirection,
    )


@bp.get("/<int:mail_id>/attachments/<int:attachment_id>")
def attachment(mail_id: int, attachment_id: int) -> Any:
    row = db_session().get(MailAttachment, attachment_id)
    if row is None or row.mail_id != mail_id:
        abort(404)
    store = DiskStore(services().settings.files_root)
    if not store.exists(row.sha256):
        abort(410)
    return send_file(store.path_for(row.sha256), mimetype=row.content_type, as_attachment=True,
                     download_name=row.name, max_age=0)


@bp.post("/<int:mail_id>/dispatch")
def dispatch(mail_id: int) -> Any:
    _acting_on(mail_id)
    target, by, version = request.form.get("to", ""), current_user.id, _version()
    return _act(mail_id, lambda s: commands.dispatch(s, mail_id, to_queue=target, by_user_id=by,
                                                     expected_version=version),
                _("The e-mail was sent to another queue."))


@bp.post("/<int:mail_id>/take")
def take(mail_id: int) -> Any:
    _acting_on(mail_id)
    user_id, version = current_user.id, _version()
    return _act(mail_id, lambda s: commands.take(s, mail_id, user_id=user_id, expected_version=version),
                _("The e-mail is now yours."))


@bp.post("/<int:mail_id>/assign")
def assign(mail_id: int) -> Any:
    _acting_on(mail_id)
    assignee_id = request.form.get("assignee_id", type=int)
    if assignee_id is None:
        abort(400)
    by, version = current_user.id, _version()
    return _act(mail_id, lambda s: commands.assign(s, mail_id, assignee_id=assignee_id, by_user_id=by,
                                                   expected_version=version),
                _("The e-mail is assigned."))


@bp.post("/<int:mail_id>/release")
def release(mail_id: int) -> Any:
    _acting_on(mail_id)
    by, version = current_user.id, _version()
    return _act(mail_id, lambda s: commands.release(s, mail_id, by_user_id=by, expected_version=version),
                _("The e-mail is back in its queue."))


@bp.post("/<int:mail_id>/link")
def link(mail_id: int) -> Any:
    _acting_on(mail_id)
    number, by, version = request.form.get("number", ""), current_user.id, _version()
    return _act(mail_id, lambda s: commands.link(s, mail_id, number=number, by_user_id=by, expected_version=version),
                _("The e-mail is linked to dossier %(number)s.", number=number.strip().upper()))


@bp.post("/<int:mail_id>/unlink")
def unlink(mail_id: int) -> Any:
    _acting_on(mail_id)
    by, version = current_user.id, _version()
    return _act(mail_id, lambda s: commands.unlink(s, mail_id, by_user_id=by, expected_version=version),
                _("The e-mail is no longer linked to a dossier."))


@bp.post("/<int:mail_id>/dossier")
def create_dossier(mail_id: int) -> Any:
    _acting_on(mail_id)
    if not current_user.has_role(*CASE_HANDLERS):
        abort(403)
    dossier_type, title = request.form.get("dossier_type", ""), request.form.get("title", "")
    if dossier_type not in DOSSIER_TYPES:
        flash(_("Choose a dossier type."), "error")
        return _back(mail_id)
    by, version, engine = current_user.id, _version(), services().engine
    for attempt in range(1, NUMBER_ATTEMPTS + 1):
        try:
            dossier = run_command(lambda s: commands.create_dossier(
                s, engine, mail_id, dossier_type=dossier_type, title=title, by_user_id=by, expected_version=version))
            break
        except IntegrityError:  # two dossiers drew the same number at once: draw again
            if attempt == NUMBER_ATTEMPTS:
                raise
        except NotFound:
            flash(_("The process of this dossier type is not deployed yet. Ask a process designer to deploy "
                    "bpmn/dossiers/%(type)s.bpmn.", type=dossier_type), "error")
            return _back(mail_id)
        except ConflictError:
            flash(_("Someone else changed this e-mail just before you: look at it again and redo your action."),
                  "error")
            return _back(mail_id)
        except EngineError as exc:
            flash(_refusal(str(exc)), "error")
            return _back(mail_id)
    flash(_("Dossier %(number)s is open.", number=dossier.number), "success")
    return redirect(url_for("dossiers.show", dossier_id=dossier.id, tab="mails"), 303)


@bp.post("/<int:mail_id>/close")
def close(mail_id: int) -> Any:
    _acting_on(mail_id)
    by, version = current_user.id, _version()
    return _act(mail_id, lambda s: commands.close(s, mail_id, by_user_id=by, expected_version=version),
                _("The e-mail is closed."))


@bp.post("/<int:mail_id>/reply")
def reply(mail_id: int) -> Any:
    _acting_on(mail_id)
    body, by, version = request.form.get("body", ""), current_user.id, _version()
    mail_from = services().settings.mail_from
    try:
        answer_id = run_command(lambda s: commands.reply(s, mail_id, body=body, by_user_id=by, mail_from=mail_from,
                                                         expected_version=version).id)
    except ConflictError:
        flash(_("Someone else changed this e-mail just before you: look at it again and redo your action."), "error")
        return _back(mail_id)
    except EngineError as exc:
        flash(_refusal(str(exc)), "error")
        return _back(mail_id)
    send_after_commit(answer_id)
    flash(_("The answer is stored and being sent."), "success")
    return redirect(url_for("mail.show", mail_id=answer_id), 303)


@bp.post("/<int:mail_id>/resend")
def resend(mail_id: int) -> Any:
    _acting_on(mail_id)
    by = current_user.id
    try:
        run_command(lambda s: commands.resend(s, mail_id, by_user_id=by))
    except EngineError as exc:
        flash(_refusal(str(exc)), "error")
        return _back(mail_id)
    send_after_commit(mail_id)
    flash(_("The e-mail is being sent again."), "success")
    return _back(mail_id)
