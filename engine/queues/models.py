"""A queue is data an administrator changes. A human task belongs to the queue whose ``code``
equals ``HumanTask.queue`` (the diagram's ``queue`` property or lane name)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.access.models import User
from engine.db import Base, utcnow

queue_members = Table(
    "queue_members",
    Base.metadata,
    Column("queue_id", ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name_fr: Mapped[str] = mapped_column(String(200))
    name_nl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[str] = mapped_column(Text, default="")
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    responsible: Mapped[User | None] = relationship()
    members: Mapped[list[User]] = relationship(secondary=queue_members, order_by=User.name)

    def name(self, locale: str | None) -> str:
        return {"nl": self.name_nl, "en": self.name_en}.get(str(locale or "fr")[:2], self.name_fr)

    def __repr__(self) -> str:
        return f"<Queue {self.code}>"
