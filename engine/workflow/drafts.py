"""Drafts of a process being edited in the designer: one per process key, saved as often as the
designer likes, never run. Two designers editing the same process at once must not overwrite
each other: every save names the ``lock_version`` it started from, and a save from a stale draft is
refused with who saved the newer one and when (nothing of the refused save is kept).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine.access.models import User
from engine.db import Base, utcnow
from engine.workflow.errors import ConflictError, EngineError


class ProcessDraft(Base):
    """The work-in-progress diagram of one process key (deployed versions stay immutable)."""

    __tablename__ = "process_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    # the deployed version the designer started from (None for a brand-new process)
    base_version: Mapped[int | None]
    lock_version: Mapped[int] = mapped_column(default=1)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    saved_by: Mapped[User | None] = relationship()


class DraftConflict(ConflictError):
    """Someone saved the draft after this designer loaded it."""

    def __init__(self, key: str, saved_by: str | None, saved_at: dt.datetime | None) -> None:
        self.key = key
        self.saved_by = saved_by
        self.saved_at = saved_at
        when = saved_at.strftime("%Y-%m-%d %H:%M UTC") if saved_at else "just now"
        super().__init__(
            f"The draft of {key} was saved by {saved_by or 'someone else'} at {when}, after you opened it. "
            "Nothing of yours was saved: download your diagram, reload the page and redo your change."
        )


class InvalidDraft(EngineError):
    """A draft that cannot be stored as given (empty, or an impossible lock version)."""


def get_draft(session: Session, key: str) -> ProcessDraft | None:
    return session.scalar(select(ProcessDraft).where(ProcessDraft.key == key))


def _conflict(session: Session, key: str) -> DraftConflict:
    current = session.scalar(
        select(ProcessDraft).where(ProcessDraft.key == key).execution_options(populate_existing=True)
    )
    if current is None:
        return DraftConflict(key, None, None)
    return DraftConflict(key, current.saved_by.name if current.saved_by else None, current.saved_at)


def save_draft(
    session: Session,
    key: str,
    bpmn_xml: str,
    *,
    lock_version: int | None,
    user_id: int | None,
    base_version: int | None = None,
) -> ProcessDraft:
    """Store the draft of ``key``. ``lock_version`` is the version of the draft the designer
    loaded (None when they started without one). The update is conditional on it, so of two
    designers saving at once exactly one wins; the other gets :class:`DraftConflict`."""
    if not bpmn_xml.strip():
        raise InvalidDraft("The diagram is empty: nothing to save.")
    now = utcnow()
    if lock_version is None:
        if get_draft(session, key) is not None:
            raise _conflict(session, key)
        draft = ProcessDraft(key=key, bpmn_xml=bpmn_xml, base_version=base_version, lock_version=1,
                             saved_by_id=user_id, saved_at=now)
        try:
            with session.begin_nested():
                session.add(draft)
                session.flush()
        except IntegrityError:
            raise _conflict(session, key) from None
        return draft
    result = session.execute(
        update(ProcessDraft)
        .where(ProcessDraft.key == key, ProcessDraft.lock_version == lock_version)
        .values(bpmn_xml=bpmn_xml, lock_version=lock_version + 1, saved_by_id=user_id, saved_at=now,
                **({"base_version": base_version} if base_version is not None else {}))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _conflict(session, key)
    draft = session.scalar(
        select(ProcessDraft).where(ProcessDraft.key == key).execution_options(populate_existing=True)
    )
    assert draft is not None
    return draft


def discard_draft(session: Session, key: str) -> bool:
    """Drop the draft of ``key`` (after a deploy made it a version). True when there was one."""
    draft = get_draft(session, key)
    if draft is None:
        return False
    session.delete(draft)
    session.flush()
    return True
