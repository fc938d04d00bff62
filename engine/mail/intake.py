"""Storing received mails: one batch per transaction, de-duplicated by Message-ID, linked to a
dossier when the subject names a dossier number or the mail answers a stored mail of a dossier.

The parsing and the file store are the business of ``integrations/mail``; this module gets plain
:class:`IncomingMail` values whose attachments are already blobs, and writes rows. A batch costs
three indexed look-ups (Message-IDs already stored, dossier numbers, the mails it answers) and
two INSERTs, whatever its size.

Routing of a linked mail: an answer to a mail somebody handles (``In-Reply-To`` / ``References``
naming a stored mail with an assignee, typically our own reply) goes to that mail's queue and
person, so it shows up in their "items I am working on"; a mail linked only by the number in its
subject stays in the central queue, in its "linked" part.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.db import utcnow
from engine.mail.models import CENTRAL_QUEUE, Mail, MailAttachment, MailDirection

# INF-2026-00042 or a follow-up INF-2026-00042/3 (engine/cases/dossiers.py numbering)
DOSSIER_NUMBER = re.compile(r"\b(?:INF|REQ|ADV|PRJ|EXE|LOA|PRM)-\d{4}-\d{5}(?:/\d+)?(?![\w/])")


@dataclass(frozen=True)
class IncomingAttachment:
    name: str
    content_type: str
    size: int
    sha256: str  # already in the file store


@dataclass
class IncomingMail:
    message_id: str
    raw_sha256: str
    source: str
    subject: str = ""
    sender: str = ""
    sender_name: str = ""
    recipients: list[str] = field(default_factory=list)
    sent_at: dt.datetime | None = None
    body_text: str = ""
    body_html: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    attachments: list[IncomingAttachment] = field(default_factory=list)
    parse_problem: str | None = None


@dataclass
class BatchResult:
    stored: list[str] = field(default_factory=list)  # Message-IDs written by this batch
    skipped: list[str] = field(default_factory=list)  # already stored (or twice in the batch)

    @property
    def handled(self) -> list[str]:
        """Every Message-ID of the batch that is now safely in the database."""
        return self.stored + self.skipped


def dossier_numbers_in(subject: str) -> list[str]:
    return DOSSIER_NUMBER.findall(subject or "")


@dataclass(frozen=True)
class _Earlier:
    dossier_id: int
    queue: str | None
    assignee_id: int | None


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(Mail) if dialect == "postgresql" else sqlite.insert(Mail))


def _lookups(session: Session, mails: Sequence[IncomingMail]) -> tuple[set[str], dict[str, int], dict[str, _Earlier]]:
    ids = [m.message_id for m in mails]
    existing = set(session.scalars(select(Mail.message_id).where(Mail.message_id.in_(ids))))
    numbers = {n for m in mails for n in dossier_numbers_in(m.subject)}
    dossiers = dict(session.execute(select(Dossier.number, Dossier.id).where(Dossier.number.in_(numbers))).all()
                    ) if numbers else {}
    thread_ids = {t for m in mails for t in ([m.in_reply_to] if m.in_reply_to else []) + m.references}
    earlier: dict[str, _Earlier] = {}
    if thread_ids:
        rows = session.execute(select(Mail.message_id, Mail.dossier_id, Mail.queue, Mail.assignee_id)
                               .where(Mail.message_id.in_(thread_ids), Mail.dossier_id.is_not(None)))
        earlier = {mid: _Earlier(dossier_id, queue, assignee) for mid, dossier_id, queue, assignee in rows}
    return existing, dossiers, earlier


def _route(mail: IncomingMail, dossiers: dict[str, int], earlier: dict[str, _Earlier]
           ) -> tuple[int | None, str, int | None]:
    """(dossier_id, queue, assignee_id) of a received mail."""
    by_number = next((dossiers[n] for n in dossier_numbers_in(mail.subject) if n in dossiers), None)
    thread = [mail.in_reply_to] if mail.in_reply_to else []
    thread += list(reversed(mail.references))  # newest reference first
    answered = next((earlier[t] for t in thread if t in earlier), None)
    if answered is not None and by_number in (None, answered.dossier_id) and answered.assignee_id is not None:
        return answered.dossier_id, answered.queue or CENTRAL_QUEUE, answered.assignee_id
    dossier_id = by_number if by_number is not None else (answered.dossier_id if answered else None)
    return dossier_id, CENTRAL_QUEUE, None


def store_batch(session: Session, mails: Iterable[IncomingMail]) -> BatchResult:
    """Write the mails not stored yet. Safe when two workers read the same mails at once: the
    INSERT skips a Message-ID the other one committed first (unique constraint, ON CONFLICT DO
    NOTHING), so a message never gets a second row."""
    result = BatchResult()
    unique: dict[str, IncomingMail] = {}
    for mail in mails:
        if mail.message_id in unique:
            result.skipped.append(mail.message_id)
        else:
            unique[mail.message_id] = mail
    if not unique:
        return result
    existing, dossiers, earlier = _lookups(session, list(unique.values()))
    now = utcnow()
    rows = []
    for mail in unique.values():
        if mail.message_id in existing:
            result.skipped.append(mail.message_id)
            continue
        dossier_id, queue, assignee_id = _route(mail, dossiers, earlier)
        rows.append({
            "message_id": mail.message_id, "direction": MailDirection.IN.value, "subject": mail.subject[:500],
            "sender": mail.sender[:320], "sender_name": mail.sender_name[:200], "recipients": mail.recipients,
            "sent_at": mail.sent_at, "received_at": now, "body_text": mail.body_text, "body_html": mail.body_html,
            "in_reply_to": (mail.in_reply_to or None) and mail.in_reply_to[:500],
            "references": " ".join(mail.references) or None, "source": mail.source, "raw_sha256": mail.raw_sha256,
            "queue": queue, "assignee_id": assignee_id, "dossier_id": dossier_id,
            "linked_at": now if dossier_id else None, "linked_by_id": None, "closed_at": None,
            "parse_problem": mail.parse_problem, "send_status": None, "send_error": None, "lock_version": 1,
        })
    if not rows:
        return result
    # one statement executed for many rows (SQLAlchemy's insertmanyvalues), compiled once
    statement = (_insert(session).on_conflict_do_nothing(index_elements=["message_id"])
                 .returning(Mail.__table__.c.id, Mail.__table__.c.message_id))
    written = {mid: mail_id for mail_id, mid in session.connection().execute(statement, rows)}
    attachments = [
        {"mail_id": written[mail.message_id], "name": a.name[:255], "content_type": a.content_type[:120],
         "size": a.size, "sha256": a.sha256}
        for mail in unique.values() if mail.message_id in written for a in mail.attachments
    ]
    if attachments:
        session.connection().execute(MailAttachment.__table__.insert(), attachments)
    for row in rows:
        (result.stored if row["message_id"] in written else result.skipped).append(row["message_id"])
    return result
