"""What the pages list of mails: a queue's open mails (not linked / linked to a dossier), the
mails someone is working on, a dossier's mails. Every list is the newest :data:`LIST_CAP` rows of
one partial index, and every count stops at :data:`COUNT_CAP`, so a page costs the same with
500,000 mails in the database as with fifty."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, load_only

from engine.access.models import User
from engine.cases.models import Dossier
from engine.mail.models import Mail

LIST_CAP = 100
QUEUE_PART_CAP = 25  # a queue page shows two parts (not linked / linked); all of them: the e-mails view
COUNT_CAP = 1000

_LIST_COLUMNS = load_only(Mail.id, Mail.message_id, Mail.direction, Mail.subject, Mail.sender, Mail.sender_name,
                          Mail.received_at, Mail.queue, Mail.assignee_id, Mail.dossier_id, Mail.closed_at,
                          Mail.lock_version, Mail.send_status, Mail.parse_problem, Mail.sent_at)


@dataclass(frozen=True)
class MailRow:
    mail: Mail
    dossier_number: str | None
    assignee_name: str | None


@dataclass(frozen=True)
class MailList:
    rows: list[MailRow]
    count: int  # up to COUNT_CAP
    more: bool  # more than COUNT_CAP

    @property
    def count_text(self) -> str:
        return f"{COUNT_CAP}+" if self.more else str(self.count)


def _rows(session: Session, query: Select[tuple[Mail]], limit: int) -> list[MailRow]:
    """The newest ``limit`` rows of ``query`` with their dossier number and assignee name (two
    joins on primary keys, done for the rows of the page only)."""
    page = (query.add_columns(Dossier.number, User.name)
            .outerjoin(Dossier, Dossier.id == Mail.dossier_id).outerjoin(User, User.id == Mail.assignee_id)
            .options(_LIST_COLUMNS).order_by(Mail.received_at.desc(), Mail.id.desc()).limit(limit))
    return [MailRow(mail, number, name) for mail, number, name in session.execute(page)]


def capped_count(session: Session, query: Select[tuple[Mail]], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows ``query`` gives, counting at most ``cap + 1`` of them."""
    counted = session.scalar(select(func.count()).select_from(
        query.with_only_columns(Mail.id).limit(cap + 1).subquery())) or 0
    return min(counted, cap), counted > cap


def _listed(session: Session, query: Select[tuple[Mail]], limit: int) -> MailList:
    count, more = capped_count(session, query)
    return MailList(rows=_rows(session, query, limit) if count else [], count=count, more=more)


def open_in_queue(code: str, *, linked: bool) -> Select[tuple[Mail]]:
    linked_clause = Mail.dossier_id.is_not(None) if linked else Mail.dossier_id.is_(None)
    return select(Mail).where(Mail.queue == code, Mail.closed_at.is_(None), linked_clause)


def queue_mails(session: Session, code: str, *, linked: bool, limit: int = QUEUE_PART_CAP) -> MailList:
    return _listed(session, open_in_queue(code, linked=linked), limit)


def my_mails(session: Session, user_id: int, *, linked: bool, limit: int = QUEUE_PART_CAP) -> MailList:
    linked_clause = Mail.dossier_id.is_not(None) if linked else Mail.dossier_id.is_(None)
    query = select(Mail).where(Mail.assignee_id == user_id, Mail.closed_at.is_(None), linked_clause)
    return _listed(session, query, limit)


def dossier_mails(session: Session, dossier_id: int, *, limit: int = LIST_CAP) -> MailList:
    """Both directions, open and closed: the dossier's correspondence."""
    return _listed(session, select(Mail).where(Mail.dossier_id == dossier_id), limit)
