"""E-mails are items of a queue, like human tasks (seed 001 §2.2).

A received mail lands in the central queue (``frontdesk``) with no dossier; a case worker
dispatches it to a thematic queue, takes it (``assignee_id``), and links it to a dossier or
creates one from it. Sent mails (replies, notifications) are stored too, with ``direction``
``out``, so that a dossier's timeline shows both sides of the conversation.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, JSONDoc, utcnow

CENTRAL_QUEUE = "frontdesk"


class MailDirection(enum.StrEnum):
    IN = "in"
    OUT = "out"


class SendStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Mail(Base):
    __tablename__ = "mails"
    __table_args__ = (
        # a dossier's mails (its e-mail tab and timeline), newest first
        Index("ix_mails_dossier_received", "dossier_id", "received_at", "id"),
        # a queue page: the queue's open mails, newest first, split by linked / not linked
        Index("ix_mails_queue_open", "queue", "received_at", "id", postgresql_where=text("closed_at IS NULL"),
              sqlite_where=text("closed_at IS NULL")),
        # "my e-mails": what one person is working on
        Index("ix_mails_assignee_open", "assignee_id", "received_at", "id",
              postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL")),
        # the two parts of a queue page ("not yet linked to a dossier", "linked"): each is the
        # newest rows of one of these indexes, whatever the share of linked mails in the queue
        Index("ix_mails_queue_unlinked", "queue", "received_at", "id",
              postgresql_where=text("closed_at IS NULL AND dossier_id IS NULL"),
              sqlite_where=text("closed_at IS NULL AND dossier_id IS NULL")),
        Index("ix_mails_queue_linked", "queue", "received_at", "id",
              postgresql_where=text("closed_at IS NULL AND dossier_id IS NOT NULL"),
              sqlite_where=text("closed_at IS NULL AND dossier_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # RFC 5322 Message-ID without angle brackets; the de-duplication key of the intake
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    direction: Mapped[str] = mapped_column(String(3), default=MailDirection.IN)
    subject: Mapped[str] = mapped_column(String(500), default="")
    sender: Mapped[str] = mapped_column(String(320), default="")  # the address
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    recipients: Mapped[list[str]] = mapped_column(JSONDoc, default=list)  # To and Cc addresses
    sent_at: Mapped[dt.datetime | None]  # the Date header
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # when Guichet read it
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(500), index=True)
    references: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="maildir")  # maildir, imap, compose
    raw_sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # the original .eml in the file store
    queue: Mapped[str | None] = mapped_column(String(100), index=True)  # a Queue.code
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="SET NULL"))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]  # handled: no longer an open item of its queue
    # what the intake could not read (a malformed message is stored with what could be read)
    parse_problem: Mapped[str | None] = mapped_column(Text)
    # outgoing mails: pending until the job has sent it (SMTP or outbox), then sent or failed
    send_status: Mapped[str | None] = mapped_column(String(10))
    send_error: Mapped[str | None] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(default=1)

    attachments: Mapped[list[MailAttachment]] = relationship(
        back_populates="mail", order_by="MailAttachment.id", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": lock_version}


class MailAttachment(Base):
    """An attachment; its content is a blob of the file store, shared with the dossier's file row
    made when the mail is linked to a dossier."""

    __tablename__ = "mail_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("mails.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)

    mail: Mapped[Mail] = relationship(back_populates="attachments")
