"""Tables of saved views.

A view stores its definition as data the web layer understands (column keys, ``column:op:value``
filter strings, a sort key): the engine does not know the columns of each list, it only keeps
who owns a view and who may see it.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.access.models import User
from engine.db import Base, JSONDoc, utcnow

# The lists that have views (the URL segment of /views/<entity>).
ENTITIES = ("dossiers", "contacts", "organisations", "addresses", "works", "tasks", "mails")


class ViewScope(enum.StrEnum):
    SYSTEM = "system"  # made by an administrator, seen by every back-office user
    PERSONAL = "personal"  # seen by its owner only
    SHARED = "shared"  # seen by its owner and the colleagues it is shared with


saved_view_shares = Table(
    "saved_view_shares",
    Base.metadata,
    Column("view_id", ForeignKey("saved_views.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class SavedView(Base):
    __tablename__ = "saved_views"
    __table_args__ = (Index("ix_saved_views_entity_scope", "entity", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(120))
    scope: Mapped[str] = mapped_column(String(10), default=ViewScope.PERSONAL)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # [{"key": "number", "width": 120}, …] in display order; width in px or null (automatic)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    sort: Mapped[str] = mapped_column(String(80), default="")  # "title" or "-created_at"
    filters: Mapped[list[str]] = mapped_column(JSONDoc, default=list)  # ["type:eq:advice", …]
    search: Mapped[str] = mapped_column(String(200), default="")
    # the key of a view shipped with Guichet (seeded once; an administrator may change or delete it)
    seed_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lock_version: Mapped[int] = mapped_column(default=1)

    owner: Mapped[User | None] = relationship()
    shared_with: Mapped[list[User]] = relationship(secondary=saved_view_shares, order_by=User.name)

    __mapper_args__ = {"version_id_col": lock_version}

    def __repr__(self) -> str:
        return f"<SavedView {self.entity}/{self.name}>"


class ViewSeedMark(Base):
    """Seed keys already handed out once: a shipped view an administrator deleted stays deleted."""

    __tablename__ = "saved_view_seeds"

    seed_key: Mapped[str] = mapped_column(String(60), primary_key=True)
    seeded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
