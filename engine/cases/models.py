from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow
from engine.workflow.models import ProcessInstance


class DossierType(enum.StrEnum):
    """The seven fixed dossier types (seed 001 §5.1); the value is also the process key."""

    INFORMATION = "information"
    REQUESTS_AND_LOANS = "requests_loans"
    ADVICE = "advice"
    PROJECT_DESIGN = "project_design"
    EXECUTION = "execution"
    LOAN = "loan"
    PREMIUMS = "premiums"


class Dossier(Base):
    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    process_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    # The first dossier of a customer journey (the locomotive) has no journey_id; its follow-up
    # dossiers (the wagons) point to it. Contacts, site address and files of the journey are
    # those attached to the first dossier: see journey_root_id.
    journey_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)  # deactivated dossiers are hidden, kept
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    process_instance: Mapped[ProcessInstance | None] = relationship()

    @property
    def journey_root_id(self) -> int:
        return self.journey_id or self.id

    @property
    def phase(self) -> str | None:
        return self.process_instance.phase if self.process_instance else None

    @property
    def status(self) -> str | None:
        return self.process_instance.status if self.process_instance else None


class NumberSequence(Base):
    """Gap-free counters for human-readable numbers (one row per type and year)."""

    __tablename__ = "number_sequences"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
