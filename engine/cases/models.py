from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, JSONDoc, utcnow
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


class JourneyStage(enum.StrEnum):
    """The great stages of a renovation journey (seed 001 §5.3)."""

    INFORMATION = "information"
    ADVICE = "advice"
    PROJECT_DESIGN = "project_design"
    EXECUTION = "execution"
    FOLLOW_UP = "follow_up"


class DossierSubtype(Base):
    """A subtype of a dossier type (seed 001 §5.2), managed by an administrator. A deactivated
    subtype cannot be chosen for a new dossier; the dossiers that have it keep it."""

    __tablename__ = "dossier_subtypes"
    __table_args__ = (UniqueConstraint("type", "code", name="uq_dossier_subtypes_type_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(30), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name_fr: Mapped[str] = mapped_column(String(120))
    name_nl: Mapped[str | None] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    journey_stage: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    def name(self, locale: str | None = None) -> str:
        """The name in ``locale`` (fr, nl, en), falling back to French."""
        return getattr(self, f"name_{(locale or 'fr')[:2]}", None) or self.name_fr


class Dossier(Base):
    __tablename__ = "dossiers"
    __table_args__ = (Index("ix_dossiers_active_created", "active", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(30), index=True)
    subtype_id: Mapped[int | None] = mapped_column(ForeignKey("dossier_subtypes.id"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(30))  # source of the request (seed 001 §3.2)
    # The rest of the general information of §3.2 (code lists in engine/cases/dossier_info.py):
    # how the offer was presented, the main project and the additional projects (a JSON list).
    offer_presentation: Mapped[str | None] = mapped_column(String(40))
    main_project: Mapped[str | None] = mapped_column(String(40))
    additional_projects: Mapped[list[str]] = mapped_column(JSONDoc, default=list, server_default=text("'[]'"))
    process_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    # The first dossier of a customer journey (the locomotive) has no journey_id; its follow-up
    # dossiers (the wagons) point to it. Contacts, site address and files of the journey are
    # those attached to the first dossier: see journey_root_id.
    journey_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)  # deactivated dossiers are hidden, kept
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    process_instance: Mapped[ProcessInstance | None] = relationship()
    subtype: Mapped[DossierSubtype | None] = relationship()

    @property
    def journey_root_id(self) -> int:
        return self.journey_id or self.id

    @property
    def phase(self) -> str | None:
        return self.process_instance.phase if self.process_instance else None

    @property
    def status(self) -> str | None:
        return self.process_instance.status if self.process_instance else None


class DossierPhase(Base):
    """When a dossier reached each phase: one row per milestone passed, written in the same
    transaction as the engine's ``phase_entered`` audit event (see engine/cases/phases.py)."""

    __tablename__ = "dossier_phases"
    __table_args__ = (
        # The phase board (engine/monitoring/phase_board.py) reads only the current rows of open
        # dossiers: a small partial index, already grouped and sorted the way the board reads it.
        Index("ix_dossier_phases_open", "open_type", "phase", "reached_at",
              postgresql_where=text("open_type IS NOT NULL"), sqlite_where=text("open_type IS NOT NULL")),
        # Dwell times (engine/monitoring/dwell.py) read the rows that left a phase in a period.
        Index("ix_dossier_phases_left_at", "left_at", postgresql_where=text("left_at IS NOT NULL"),
              sqlite_where=text("left_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(40))
    reached_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the dossier reached its next phase (None: it is still in this one, or its process
    # ended here). Kept by record_phase; left_at - reached_at is the time spent in the phase.
    left_at: Mapped[dt.datetime | None]
    # The dossier's type while this row is the current phase of an open dossier (active, its
    # process neither completed nor terminated), else None: what the phase board counts, without
    # reading a million dossiers and instances. Kept by engine/cases/phases.py (record_phase, and
    # a flush listener when an instance ends or a dossier is deactivated or reactivated).
    open_type: Mapped[str | None] = mapped_column(String(30))


class NumberSequence(Base):
    """Gap-free counters for human-readable numbers (one row per type and year, and one per
    journey for the numbers of its follow-up dossiers)."""

    __tablename__ = "number_sequences"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
