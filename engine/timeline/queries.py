"""The timeline of one dossier: its e-mails (both directions), notes, calls, appointments, the
tasks of its process (created, completed or cancelled) and its phase changes, newest first.

It never loads a whole history: each source gives at most one page of rows after the cursor (an
indexed scan of that dossier's rows), the merge keeps one page, and the cursor (time, rank, id)
says where the next page starts. ``rank`` orders entries of the same instant the way they happen
within one command, newest first: a task is completed, the phase changes, the next task appears.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.cases.models import Dossier, DossierPhase
from engine.mail.models import Mail
from engine.timeline.models import DossierActivity
from engine.workflow.models import HumanTask, HumanTaskState

PAGE_SIZE = 50

RANK_TASK_CREATED = 5
RANK_PHASE = 4
RANK_TASK_CLOSED = 3
RANK_ACTIVITY = 2
RANK_MAIL = 1


@dataclass(frozen=True)
class TimelineCursor:
    at: dt.datetime
    rank: int
    id: int

    def encode(self) -> str:
        return f"{self.at.isoformat()}~{self.rank}~{self.id}"

    @classmethod
    def decode(cls, text: str) -> TimelineCursor:
        """ValueError when ``text`` is not a cursor this module wrote."""
        at, rank, ident = text.split("~")
        when = dt.datetime.fromisoformat(at)
        return cls(when if when.tzinfo else when.replace(tzinfo=dt.UTC), int(rank), int(ident))


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    rank: int
    id: int
    kind: str  # mail, note, call, appointment, task_created, task_completed, task_cancelled, phase
    item: Any  # the Mail, DossierActivity, HumanTask or DossierPhase row

    @property
    def key(self) -> tuple[dt.datetime, int, int]:
        return (self.at, self.rank, self.id)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: TimelineCursor | None  # None: nothing older


def _before(cursor: TimelineCursor | None, at: InstrumentedAttribute[Any], ident: InstrumentedAttribute[Any],
            rank: int) -> ColumnElement[bool] | None:
    """Rows of a source of rank ``rank`` that come after ``cursor`` in newest-first order."""
    if cursor is None:
        return None
    if rank < cursor.rank:
        return at <= cursor.at
    if rank > cursor.rank:
        return at < cursor.at
    return or_(at < cursor.at, and_(at == cursor.at, ident < cursor.id))


def _page_of(query: Select[Any], cursor: TimelineCursor | None, at: InstrumentedAttribute[Any],
             ident: InstrumentedAttribute[Any], rank: int, size: int) -> Select[Any]:
    condition = _before(cursor, at, ident, rank)
    if condition is not None:
        query = query.where(condition)
    return query.order_by(at.desc(), ident.desc()).limit(size + 1)


def timeline_page(session: Session, dossier: Dossier, cursor: TimelineCursor | None = None,
                  size: int = PAGE_SIZE) -> TimelinePage:
    """One page of the dossier's own timeline, newest first, starting after ``cursor``."""
    entries: list[TimelineEntry] = []
    for activity in session.scalars(_page_of(
            select(DossierActivity).where(DossierActivity.dossier_id == dossier.id), cursor,
            DossierActivity.occurred_at, DossierActivity.id, RANK_ACTIVITY, size)):
        entries.append(TimelineEntry(activity.occurred_at, RANK_ACTIVITY, activity.id, activity.kind, activity))
    for mail in session.scalars(_page_of(select(Mail).where(Mail.dossier_id == dossier.id), cursor,
                                         Mail.received_at, Mail.id, RANK_MAIL, size)):
        entries.append(TimelineEntry(mail.received_at, RANK_MAIL, mail.id, "mail", mail))
    for phase in session.scalars(_page_of(select(DossierPhase).where(DossierPhase.dossier_id == dossier.id),
                                          cursor, DossierPhase.reached_at, DossierPhase.id, RANK_PHASE, size)):
        entries.append(TimelineEntry(phase.reached_at, RANK_PHASE, phase.id, "phase", phase))
    if dossier.process_instance_id is not None:
        of_instance = select(HumanTask).where(HumanTask.instance_id == dossier.process_instance_id)
        for task in session.scalars(_page_of(of_instance, cursor, HumanTask.created_at, HumanTask.id,
                                             RANK_TASK_CREATED, size)):
            entries.append(TimelineEntry(task.created_at, RANK_TASK_CREATED, task.id, "task_created", task))
        closed = of_instance.where(HumanTask.state != HumanTaskState.READY, HumanTask.completed_at.is_not(None))
        for task in session.scalars(_page_of(closed, cursor, HumanTask.completed_at, HumanTask.id,
                                             RANK_TASK_CLOSED, size)):
            kind = "task_completed" if task.state == HumanTaskState.COMPLETED else "task_cancelled"
            entries.append(TimelineEntry(task.completed_at, RANK_TASK_CLOSED, task.id, kind, task))  # type: ignore[arg-type]
    entries.sort(key=lambda entry: entry.key, reverse=True)
    page = entries[:size]
    more = len(entries) > size
    last = page[-1] if more else None
    return TimelinePage(page, TimelineCursor(last.at, last.rank, last.id) if last is not None else None)
