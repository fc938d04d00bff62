"""Works: one renovation measure (or study) with one contractor, on a dossier (seed 001 §5.4.3,
§5.4.4, part 6).

A works record is created on a project-design, execution or advice dossier and follows the
customer journey: the grids of every dossier of the journey show the works of the whole journey
("works linked to the site address"). Setting ``investment_decided`` moves a record from the
"advised / in study" grid to the "decided" grid. Every change writes an audit event on the
dossier the record belongs to (``subject_type="dossier"``), so it appears in its history.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Numeric, String, Text, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.cases.models import Dossier
from engine.db import Base, utcnow
from engine.workflow.errors import FormInvalid
from engine.workflow.models import AuditEvent

# The predefined list of works (seed 001 §5.4.3 and part 6: "la liste prédéfinie des travaux").
WORK_TYPES: tuple[str, ...] = (
    "roof_insulation",
    "wall_insulation",
    "floor_insulation",
    "windows",
    "heat_pump",
    "condensing_boiler",
    "ventilation",
    "solar_panels",
    "solar_water_heater",
    "electrical_installation",
    "asbestos_removal",
    "study",
    "epc_drafting",
    "other",
)


class BuildingPart(enum.StrEnum):
    """Works in the private part of an apartment, or in the common parts of the building."""

    PRIVATE = "private"
    COMMON = "common"


class PremiumConformity(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class RmpPriority(enum.StrEnum):
    """Priority of the works in the renovation master plan."""

    SHORT = "short"
    MEDIUM = "medium"
    LONG = "long"


# Dossier types on whose page works are recorded (the tab may also show on advice dossiers).
WORKS_DOSSIER_TYPES = ("project_design", "execution", "advice")

MONEY = Numeric(12, 2)
STREET_FURNITURE_LEAD_DAYS = 60  # ask for street-furniture works about two months ahead


class Works(Base):
    __tablename__ = "works"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    work_type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    building_part: Mapped[str] = mapped_column(String(10), default=BuildingPart.COMMON.value)
    # Quotes.
    quote_requested_on: Mapped[dt.date | None] = mapped_column(Date)
    quote_received_on: Mapped[dt.date | None] = mapped_column(Date)
    quote_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    # An organisation of kind "contractor" (engine/parties); deleting it leaves the works without one.
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    premium_conform: Mapped[str] = mapped_column(String(10), default=PremiumConformity.UNKNOWN.value)
    # Renovation master plan.
    rmp_advised: Mapped[bool] = mapped_column(default=False)
    rmp_priority: Mapped[str | None] = mapped_column(String(10))
    # Decision.
    investment_decided: Mapped[bool] = mapped_column(default=False, index=True)
    offer_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    offer_approved_on: Mapped[dt.date | None] = mapped_column(Date)
    # Permits.
    environment_permit_needed: Mapped[bool | None]
    permit_parts: Mapped[str | None] = mapped_column(Text)
    permit_drafted_on: Mapped[dt.date | None] = mapped_column(Date)
    permit_applied_on: Mapped[dt.date | None] = mapped_column(Date)
    permit_approved_on: Mapped[dt.date | None] = mapped_column(Date)
    # Street furniture: preparatory works on the public domain (facade or roof insulation).
    street_signage_needed: Mapped[bool] = mapped_column(default=False)
    public_lighting_removal_needed: Mapped[bool] = mapped_column(default=False)
    street_furniture_notes: Mapped[str | None] = mapped_column(Text)
    street_furniture_requested_on: Mapped[dt.date | None] = mapped_column(Date)
    # Execution and follow-up.
    works_started_on: Mapped[dt.date | None] = mapped_column(Date)
    works_ended_on: Mapped[dt.date | None] = mapped_column(Date)
    execution_remarks: Mapped[str | None] = mapped_column(Text)
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date)
    follow_up_notes: Mapped[str | None] = mapped_column(Text)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def street_furniture_needed(self) -> bool:
        return bool(self.street_signage_needed or self.public_lighting_removal_needed
                    or (self.street_furniture_notes or "").strip())

    @property
    def street_furniture_late(self) -> bool:
        """Street-furniture works are needed but were not asked about two months before the works
        start (seed 001 §5.4.4: "demande +/- 2 mois avant le début des travaux")."""
        if not self.street_furniture_needed or self.works_started_on is None:
            return False
        asked = self.street_furniture_requested_on
        return asked is None or (self.works_started_on - asked).days < STREET_FURNITURE_LEAD_DAYS


# The fields a person edits (everything but the keys and the bookkeeping columns).
EDITABLE_FIELDS: tuple[str, ...] = tuple(
    name for name in Works.__table__.columns.keys()  # noqa: SIM118 - column names
    if name not in {"id", "dossier_id", "created_by_id", "created_at", "updated_by_id", "updated_at"}
)


class WorksNotFound(LookupError):
    pass


def _plain(value: Any) -> Any:
    """A value as it is kept in an audit event's JSON detail."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _audit(session: Session, dossier_id: int, kind: str, user_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(subject_type="dossier", subject_id=dossier_id, actor_id=user_id, kind=kind,
                           detail=detail, at=utcnow()))


def _apply(works: Works, data: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set the editable fields given in ``data``; the changes as {field: [old, new]}."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not a works field: {sorted(unknown)}")
    changes: dict[str, list[Any]] = {}
    for name in EDITABLE_FIELDS:
        if name not in data:
            continue
        old, new = getattr(works, name), data[name]
        if isinstance(new, Decimal) and isinstance(old, Decimal) and old == new:
            continue
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(works, name, new)
    return changes


def _check_contractor(session: Session, data: Mapping[str, Any]) -> None:
    """The contractor must be an organisation of kind contractor (a form only offers those; a
    hand-made request could send any id)."""
    from engine.parties.models import Organisation, OrganisationKind  # parties import cases: no cycle here

    contractor_id = data.get("contractor_id")
    if contractor_id is None:
        return
    organisation = session.get(Organisation, contractor_id)
    if organisation is None or organisation.kind != OrganisationKind.CONTRACTOR:
        raise FormInvalid("works", {"contractor_id": ["Choose a contractor from the list of organisations."]})


def add_works(session: Session, dossier: Dossier, data: Mapping[str, Any], *, user_id: int | None) -> Works:
    """A new works record on ``dossier`` (validated ``data``: the fields of :data:`EDITABLE_FIELDS`)."""
    if "work_type" not in data:
        raise ValueError("a works record needs a work_type")
    _check_contractor(session, data)
    works = Works(dossier_id=dossier.id, created_by_id=user_id, updated_by_id=user_id)
    for name, default in (("building_part", BuildingPart.COMMON.value),
                          ("premium_conform", PremiumConformity.UNKNOWN.value),
                          ("rmp_advised", False), ("investment_decided", False),
                          ("street_signage_needed", False), ("public_lighting_removal_needed", False)):
        setattr(works, name, default)
    _apply(works, data)
    session.add(works)
    session.flush()
    _audit(session, dossier.id, "works_added", user_id, works_id=works.id, work_type=works.work_type,
           decided=works.investment_decided)
    return works


def get_works(session: Session, dossier: Dossier, works_id: int) -> Works:
    """The works record ``works_id`` if it belongs to the journey of ``dossier``."""
    works = session.get(Works, works_id)
    if works is None or works.dossier_id not in journey_dossier_ids(session, dossier):
        raise WorksNotFound(works_id)
    return works


def update_works(session: Session, works: Works, data: Mapping[str, Any], *, user_id: int | None) -> dict[str, Any]:
    """Change a works record; returns the changes (nothing is audited when nothing changed)."""
    was_decided = works.investment_decided
    _check_contractor(session, data)
    changes = _apply(works, data)
    if changes:
        works.updated_by_id = user_id
        works.updated_at = utcnow()
        kind = "works_decided" if works.investment_decided and not was_decided else "works_changed"
        _audit(session, works.dossier_id, kind, user_id, works_id=works.id, work_type=works.work_type,
               changes=changes)
        session.flush()
    return changes


def delete_works(session: Session, works: Works, *, user_id: int | None) -> None:
    """Delete a works record for good; the audit event keeps what it held."""
    kept = {name: _plain(getattr(works, name)) for name in EDITABLE_FIELDS if getattr(works, name) is not None}
    _audit(session, works.dossier_id, "works_deleted", user_id, works_id=works.id, work_type=works.work_type,
           record=kept)
    session.delete(works)
    session.flush()


def journey_dossier_ids(session: Session, dossier: Dossier) -> list[int]:
    """The dossiers of ``dossier``'s customer journey (the first dossier and its follow-ups)."""
    root = dossier.journey_root_id
    return list(session.scalars(select(Dossier.id).where(or_(Dossier.id == root, Dossier.journey_id == root))))


@dataclass(frozen=True)
class WorksRow:
    works: Works
    dossier_number: str


@dataclass(frozen=True)
class WorksGrids:
    """The two grids of a dossier's Works tab."""

    advised: list[WorksRow]  # quotes asked / advised in the RMP / in study
    decided: list[WorksRow]  # the investment is decided


def works_grids(session: Session, dossier: Dossier) -> WorksGrids:
    """The works of the dossier's journey, split by the decided-investment flag."""
    root = dossier.journey_root_id
    rows = session.execute(
        select(Works, Dossier.number).join(Dossier, Dossier.id == Works.dossier_id)
        .where(or_(Dossier.id == root, Dossier.journey_id == root))
        .order_by(Works.created_at, Works.id)
    ).all()
    advised = [WorksRow(w, number) for w, number in rows if not w.investment_decided]
    decided = [WorksRow(w, number) for w, number in rows if w.investment_decided]
    return WorksGrids(advised=advised, decided=decided)
