"""Notes, phone calls and appointments on a dossier (seed 001 §2.1: "la communication (e-mails,
appels téléphoniques, rendez-vous)").

One table for the three kinds: the timeline pages through them together with one index
(dossier, time, id), and they share most of what they hold (when, who wrote it, a text). The
columns a kind does not use stay empty.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class ActivityKind(enum.StrEnum):
    NOTE = "note"
    CALL = "call"
    APPOINTMENT = "appointment"


class CallDirection(enum.StrEnum):
    INCOMING = "incoming"  # the citizen (or a partner) called the one-stop shop
    OUTGOING = "outgoing"  # the case worker called


class AppointmentStatus(enum.StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class DossierActivity(Base):
    __tablename__ = "dossier_activities"
    __table_args__ = (
        # the timeline: one dossier's activities, newest first, paged by (time, id)
        Index("ix_dossier_activities_timeline", "dossier_id", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    # a note: when it was written; a call: when it took place; an appointment: when it starts
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    subject: Mapped[str | None] = mapped_column(String(200))  # an appointment's purpose
    body: Mapped[str] = mapped_column(Text, default="")  # the note, the call's summary, the agenda
    direction: Mapped[str | None] = mapped_column(String(10))  # a call: CallDirection
    # who was on the phone or at the appointment: a contact of the dossier and/or a name as said
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    contact_name: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(50))
    ends_at: Mapped[dt.datetime | None]  # an appointment's end, when known
    location: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str | None] = mapped_column(String(20))  # an appointment: AppointmentStatus
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}
