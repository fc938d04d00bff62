"""The ``access_log`` table: one row per access to personal data. Append-only (see append_only.py):
no foreign keys, so that deleting a user or a record never has to touch (UPDATE) a log row; the
actor's name is a snapshot taken when the row is written."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class AccessAction(enum.StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    VIEW = "view"
    EXPORT = "export"
    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"
    ERASE = "erase"


class RecordType(enum.StrEnum):
    """What kind of record was accessed (free text in the table: new kinds need no migration)."""

    USER = "user"
    CONTACT = "contact"
    ORGANISATION = "organisation"
    MEMBER = "member"  # an organisation member (portal membership)
    PORTAL_ACCOUNT = "portal_account"
    DOSSIER = "dossier"
    MAIL = "mail"
    VIEW = "view"  # a list view exported (record_id = None, record_key = the entity)
    PROCESS_INSTANCE = "process_instance"  # a case's data read through the API
    SYNDIC_REQUEST = "syndic_request"  # a syndic mandate request (national register numbers)
    ACCESS_LOG = "access_log"


USER_AGENT_MAX = 200
PATH_MAX = 300


class AccessLog(Base):
    __tablename__ = "access_log"
    __table_args__ = (
        # the manager page searches by record and by person, newest first (keyset on at, id)
        Index("ix_access_log_record", "record_type", "record_id", "at"),
        Index("ix_access_log_actor", "actor_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)  # SQLite: rowid
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None]  # users.id, deliberately no foreign key (see the module docstring)
    actor_name: Mapped[str] = mapped_column(String(254), default="")  # snapshot; the e-mail typed for a failed sign-in
    action: Mapped[str] = mapped_column(String(20))
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int | None] = mapped_column(BigInteger)
    record_key: Mapped[str | None] = mapped_column(String(100))  # e.g. the exported view's entity
    rows: Mapped[int | None]  # exports: how many rows left Guichet
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_MAX))
    path: Mapped[str | None] = mapped_column(String(PATH_MAX))
