"""The notification outbox. Writing the row inside the command's transaction means a rolled-back
command sends nothing, and a committed one always has its message on record; the sending job is
queued only after the commit (the same pattern as service calls in engine/workflow/runtime.py)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, utcnow

SESSION_KEY = "guichet_notifications"
# Bodies holding a secret (a one-time code, a reset link) are blanked once the mail has left.
SECRET_PURPOSES = frozenset({"account_activation", "email_change", "password_reset"})
BLANKED = "[sent; not kept because it contained a one-time code]"


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient_created", "recipient", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(40))  # e.g. account_activation, member_confirmed
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=NotificationStatus.PENDING.value)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]


_dispatch: Callable[[list[int]], None] | None = None


def configure(dispatch: Callable[[list[int]], None] | None) -> None:
    """Bind the sender (the composition root passes the mail integration's job)."""
    global _dispatch
    _dispatch = dispatch


def queue_notification(session: Session, *, recipient: str, subject: str, body: str, purpose: str,
                       user_id: int | None = None) -> Notification:
    """Record a mail to send once the caller's transaction commits."""
    row = Notification(recipient=recipient, subject=subject[:300], body=body, purpose=purpose, user_id=user_id,
                       created_at=utcnow())
    session.add(row)
    session.flush()
    session.info.setdefault(SESSION_KEY, []).append(row.id)
    return row


def note_delivery(session: Session, notification_id: int, *, error: str | None = None) -> None:
    row = session.get(Notification, notification_id)
    if row is None:
        return
    if error is not None:
        row.status, row.error = NotificationStatus.FAILED.value, error
        return
    row.status, row.error, row.sent_at = NotificationStatus.SENT.value, None, utcnow()
    if row.purpose in SECRET_PURPOSES:
        row.body = BLANKED


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    ids = session.info.pop(SESSION_KEY, None)
    if ids and _dispatch is not None:
        _dispatch(ids)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(SESSION_KEY, None)
