"""Commands on a mail of a queue: dispatch, take, assign, release, link to a dossier, unlink,
create a dossier from it, close, reply. Each runs in the caller's transaction, writes an audit
event (subject ``mail``) and checks the optimistic lock: the caller passes the ``lock_version``
the person saw; a mail changed since then raises :class:`MailChanged` and nothing is kept.

Who may act is the web layer's business (members of the mail's queue, dispatchers, the
assignee); these commands check what must hold whoever asks (an open mail, an active queue, a
colleague who is a member of the queue, an existing dossier).
"""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.cases.dossiers import open_dossier
from engine.cases.models import Dossier, DossierType
from engine.db import utcnow
from engine.documents.files import add_file
from engine.documents.models import DossierFile
from engine.mail.models import Mail, MailDirection, SendStatus
from engine.queues.commands import queue_by_code
from engine.workflow.errors import ConflictError, InvalidState, NotFound
from engine.workflow.models import AuditEvent
from engine.workflow.runtime import WorkflowEngine


class MailChanged(ConflictError):
    """Someone else changed the mail since it was shown; nothing of this action was saved."""


class MailTaken(ConflictError):
    """A colleague took the mail first."""


class MailRefused(InvalidState):
    """The action is not possible on this mail; the message says what to do."""


def get_mail(session: Session, mail_id: int) -> Mail:
    mail = session.get(Mail, mail_id)
    if mail is None:
        raise NotFound(f"E-mail {mail_id} does not exist.")
    return mail


def _open(session: Session, mail_id: int, expected_version: int | None) -> Mail:
    mail = get_mail(session, mail_id)
    if expected_version is not None and mail.lock_version != expected_version:
        raise MailChanged("Someone else changed this e-mail just before you: look at it again and redo your action.")
    if mail.closed_at is not None:
        raise MailRefused("This e-mail is closed already.")
    return mail


def _save(session: Session, mail: Mail) -> None:
    """Flush now, so that a concurrent change (version check) is reported as :class:`MailChanged`."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise MailChanged("Someone else changed this e-mail just before you: look at it again and redo "
                          "your action.") from exc


def _audit(session: Session, mail: Mail, kind: str, user_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(subject_type="mail", subject_id=mail.id, actor_id=user_id, kind=kind, detail=detail,
                           at=utcnow()))


def dispatch(session: Session, mail_id: int, *, to_queue: str, by_user_id: int | None,
             expected_version: int | None = None) -> Mail:
    """Send the mail to another active queue. The assignee stays only if a member of the target."""
    mail = _open(session, mail_id, expected_version)
    target = queue_by_code(session, to_queue)
    if target is None or not target.active:
        raise MailRefused(f"There is no active queue '{to_queue}'.")
    if mail.queue == to_queue:
        return mail
    previous, previous_assignee = mail.queue, mail.assignee_id
    mail.queue = to_queue
    if mail.assignee_id is not None and mail.assignee_id not in {m.id for m in target.members}:
        mail.assignee_id = None
    _save(session, mail)
    _audit(session, mail, "mail_dispatched", by_user_id, **{"from": previous, "to": to_queue},
           previous_assignee=previous_assignee, assignee=mail.assignee_id)
    return mail


def take(session: Session, mail_id: int, *, user_id: int, expected_version: int | None = None) -> Mail:
    mail = _open(session, mail_id, expected_version)
    if mail.assignee_id == user_id:
        return mail
    if mail.assignee_id is not None:
        raise MailTaken("This e-mail is already assigned to a colleague.")
    mail.assignee_id = user_id
    _save(session, mail)
    _audit(session, mail, "mail_taken", user_id, queue=mail.queue)
    return mail


def assign(session: Session, mail_id: int, *, assignee_id: int, by_user_id: int | None,
           expected_version: int | None = None) -> Mail:
    mail = _open(session, mail_id, expected_version)
    queue = queue_by_code(session, mail.queue or "")
    if queue is None or assignee_id not in {m.id for m in queue.members}:
        raise MailRefused("Choose a colleague who is a member of the e-mail's queue.")
    previous = mail.assignee_id
    if previous == assignee_id:
        return mail
    mail.assignee_id = assignee_id
    _save(session, mail)
    _audit(session, mail, "mail_assigned", by_user_id, previous_assignee=previous, assignee=assignee_id)
    return mail


def release(session: Session, mail_id: int, *, by_user_id: int | None, expected_version: int | None = None) -> Mail:
    mail = _open(session, mail_id, expected_version)
    if mail.assignee_id is None:
        return mail
    previous = mail.assignee_id
    mail.assignee_id = None
    _save(session, mail)
    _audit(session, mail, "mail_released", by_user_id, previous_assignee=previous)
    return mail


def _copy_attachments(session: Session, mail: Mail, dossier: Dossier, user_id: int | None) -> int:
    """The mail's attachments become files of the journey (same blob); one already copied from
    this mail (same content and name) is not copied twice."""
    present = set(session.execute(select(DossierFile.sha256, DossierFile.name)
                                  .where(DossierFile.dossier_id == dossier.journey_root_id)).all())
    copied = 0
    for attachment in mail.attachments:
        if (attachment.sha256, attachment.name) in present:
            continue
        add_file(session, dossier, name=attachment.name, size=attachment.size, content_type=attachment.content_type,
                 sha256=attachment.sha256, folder=None, user_id=user_id)
        copied += 1
    return copied


def _link(session: Session, mail: Mail, dossier: Dossier, user_id: int | None, kind: str) -> Mail:
    mail.dossier_id = dossier.id
    mail.linked_by_id = user_id
    mail.linked_at = utcnow()
    _save(session, mail)
    copied = _copy_attachments(session, mail, dossier, user_id)
    _audit(session, mail, kind, user_id, dossier_id=dossier.id, number=dossier.number, files=copied)
    return mail


def dossier_by_number(session: Session, number: str) -> Dossier | None:
    return session.scalar(select(Dossier).where(Dossier.number == number.strip().upper()))


def link(session: Session, mail_id: int, *, number: str, by_user_id: int | None,
         expected_version: int | None = None) -> Mail:
    """Link the mail to the dossier ``number``; its attachments become files of the journey."""
    mail = _open(session, mail_id, expected_version)
    if not number.strip():
        raise MailRefused("Give the number of the dossier, e.g. INF-2026-00042.")
    dossier = dossier_by_number(session, number)
    if dossier is None:
        raise MailRefused(f"There is no dossier with the number {number.strip()}.")
    if mail.dossier_id == dossier.id:
        return mail
    return _link(session, mail, dossier, by_user_id, "mail_linked")


def unlink(session: Session, mail_id: int, *, by_user_id: int | None, expected_version: int | None = None) -> Mail:
    """Take the mail off its dossier. Files already copied into the dossier stay there (they may
    have been filed or used meanwhile); deleting them is the Files tab's business."""
    mail = _open(session, mail_id, expected_version)
    if mail.dossier_id is None:
        return mail
    previous = mail.dossier_id
    mail.dossier_id, mail.linked_by_id, mail.linked_at = None, None, None
    _save(session, mail)
    _audit(session, mail, "mail_unlinked", by_user_id, dossier_id=previous)
    return mail


def create_dossier(session: Session, engine: WorkflowEngine, mail_id: int, *, dossier_type: str,
                   title: str | None = None, by_user_id: int | None, expected_version: int | None = None,
                   subtype_id: int | None = None) -> Dossier:
    """Open a dossier of ``dossier_type`` from the mail (title: the subject by default, source
    e-mail) and link the mail to it."""
    mail = _open(session, mail_id, expected_version)
    if mail.dossier_id is not None:
        raise MailRefused("This e-mail is linked to a dossier already: unlink it first.")
    try:
        kind = DossierType(dossier_type)
    except ValueError as exc:
        raise MailRefused("Choose a dossier type.") from exc
    title = (title or "").strip() or mail.subject.strip() or f"E-mail {mail.sender}"
    dossier = open_dossier(session, engine, kind, title[:255], user_id=by_user_id, subtype_id=subtype_id,
                           description=f"{mail.sender_name} <{mail.sender}>".strip() if mail.sender else None,
                           source="email")
    _link(session, mail, dossier, by_user_id, "mail_dossier_created")
    return dossier


def close(session: Session, mail_id: int, *, by_user_id: int | None, expected_version: int | None = None) -> Mail:
    """The mail is handled: it leaves the open items of its queue (kept, and on its dossier)."""
    mail = _open(session, mail_id, expected_version)
    mail.closed_at = utcnow()
    _save(session, mail)
    _audit(session, mail, "mail_closed", by_user_id, queue=mail.queue, dossier_id=mail.dossier_id)
    return mail


def _reply_subject(subject: str, number: str | None) -> str:
    subject = subject.strip()
    if not subject.lower().startswith(("re:", "re :", "antw:", "tr:")):
        subject = f"Re: {subject}" if subject else "Re:"
    if number and number not in subject:
        subject = f"{subject} [{number}]"
    return subject[:500]


def reply(session: Session, mail_id: int, *, body: str, by_user_id: int, mail_from: str,
          expected_version: int | None = None) -> Mail:
    """Store the answer to a received mail as an outgoing mail (``send_status`` pending; the
    caller sends it after the commit). It answers the original (In-Reply-To, References), carries
    the dossier number in its subject, is linked to the same dossier, and the person who wrote it
    becomes the original's assignee, so that the citizen's next answer comes back to them."""
    if get_mail(session, mail_id).direction != MailDirection.IN:
        raise MailRefused("Only a received e-mail can be answered.")
    original = _open(session, mail_id, expected_version)
    if not body.strip():
        raise MailRefused("Write the text of the answer.")
    if not original.sender:
        raise MailRefused("This e-mail has no sender address to answer to.")
    dossier = session.get(Dossier, original.dossier_id) if original.dossier_id else None
    domain = mail_from.rpartition("@")[2] or "guichet.local"
    references = " ".join(x for x in [original.references or "", f"<{original.message_id}>"] if x)
    answer = Mail(
        message_id=make_msgid(domain=domain)[1:-1], direction=MailDirection.OUT.value,
        subject=_reply_subject(original.subject, dossier.number if dossier else None), sender=mail_from,
        sender_name="", recipients=[original.sender], sent_at=utcnow(), received_at=utcnow(), body_text=body.strip(),
        body_html=None, in_reply_to=original.message_id, references=references, source="compose",
        queue=original.queue, assignee_id=by_user_id, dossier_id=original.dossier_id,
        linked_by_id=by_user_id if dossier else None, linked_at=utcnow() if dossier else None,
        closed_at=utcnow(), send_status=SendStatus.PENDING.value,
    )
    session.add(answer)
    if original.assignee_id is None:
        original.assignee_id = by_user_id
    _save(session, original)
    _audit(session, original, "mail_replied", by_user_id, reply_id=answer.id, dossier_id=original.dossier_id)
    return answer


def note_sent(session: Session, mail_id: int, *, error: str | None = None) -> Mail:
    """The sending job's outcome for an outgoing mail: sent, or failed with the reason shown on
    the mail's page (the stored mail is kept either way, and can be sent again)."""
    mail = get_mail(session, mail_id)
    mail.send_status = SendStatus.FAILED.value if error else SendStatus.SENT.value
    mail.send_error = error[:2000] if error else None
    _audit(session, mail, "mail_send_failed" if error else "mail_sent", None, error=error)
    return mail


def resend(session: Session, mail_id: int, *, by_user_id: int | None) -> Mail:
    """Put a failed outgoing mail back to pending; the caller sends it after the commit."""
    mail = get_mail(session, mail_id)
    if mail.direction != MailDirection.OUT or mail.send_status != SendStatus.FAILED:
        raise MailRefused("Only an outgoing e-mail whose sending failed can be sent again.")
    mail.send_status = SendStatus.PENDING.value
    _save(session, mail)
    _audit(session, mail, "mail_resend", by_user_id)
    return mail


__all__ = ["MailChanged", "MailRefused", "MailTaken", "assign", "close", "create_dossier", "dispatch", "get_mail",
           "link", "note_sent", "release", "reply", "resend", "take", "unlink"]
