"""The renovation master plan (RMP) of a co-ownership (seed 001 part 6).

§6.1: an Information dossier of subtype "Interest in the renovation master plan" runs its own
diagram (bpmn/dossiers/subtypes/information_rmp_interest.bpmn) that opens the four predefined tasks
at creation; nothing is stored here for it.

§6.2: an Advice dossier of subtype "Plan directeur de rénovation" (code ``renovation_master_plan``)
runs bpmn/dossiers/subtypes/advice_rmp.bpmn and keeps one :class:`RmpRecord`:

* the decision and request: what the VEKA application form asks, the support actions of the
  one-stop shop, the quotes, the award, the awarded amount, the VEKA subsidy and the contract with
  the design office. The co-ownership's own contribution is *computed* (awarded amount minus subsidy);
* the elaboration: the owner and occupant surveys, the elements of the plan received so far, the
  preparation of the general assembly and the calendar of the steps (planned and actual dates).

The works the plan gives priority to are ordinary works records (engine/cases/works.py, with
``rmp_advised`` and ``rmp_priority``); the financing simulation is engine/cases/rmp_financing.py.
Every change writes an audit event on the dossier (``subject_type="dossier"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Numeric, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.cases.models import Dossier, DossierSubtype, DossierType
from engine.db import Base, JSONDoc, utcnow
from engine.workflow.errors import InvalidState
from engine.workflow.models import AuditEvent

RMP_SUBTYPE_CODE = "renovation_master_plan"
MONEY = Numeric(12, 2)

# What the one-stop shop does to support the application (seed 001 §6.2, right-hand side).
SUPPORT_ACTIONS: tuple[str, ...] = (
    "building_plans",  # look up the building plans (municipal archive, architect, syndic)
    "energy_consumption",  # ask Fluvius for the building's energy consumption
    "epc_common_parts",  # collect the EPC of the common parts
    "basic_deed",  # collect the basic deed and the by-laws of the co-ownership
    "ga_minutes",  # collect the minutes of the general assembly that decided to apply
    "technical_documents",  # collect technical documents (installations, earlier works)
)

# The elements of the plan the design office delivers, ticked as they arrive.
RMP_ELEMENTS: tuple[str, ...] = (
    "building_survey",
    "energy_audit",
    "technical_analysis",
    "renovation_scenarios",
    "cost_estimate",
    "phasing_plan",
    "financing_plan",
    "final_report",
)

# The steps of the RMP process, in their order: the calendar has a planned and an actual date each.
CALENDAR_STEPS: tuple[str, ...] = (
    "application",
    "award",
    "contract",
    "kick_off",
    "owner_survey",
    "occupant_survey",
    "draft_plan",
    "working_group_review",
    "general_assembly",
    "final_plan",
)

APPLICATION_FIELDS: tuple[str, ...] = (
    # The VEKA application form.
    "association_name", "association_enterprise_number", "syndic_name", "building_units",
    "building_year", "ga_decision_on", "application_submitted_on",
    # The one-stop shop's support.
    "support_actions", "energy_data_requested_on", "support_notes",
    # Quotes, award, amounts, contract.
    "quotes_received_on", "quotes_count", "awarded_to", "awarded_on", "awarded_amount", "veka_subsidy",
    "contract_received", "contract_received_on",
)
ELABORATION_FIELDS: tuple[str, ...] = (
    "owner_survey_done", "owner_survey_on", "occupant_survey_done", "occupant_survey_on",
    "elements_received", "ga_preparation", "ga_date", "calendar",
)
PARTS: dict[str, tuple[str, ...]] = {"application": APPLICATION_FIELDS, "elaboration": ELABORATION_FIELDS}
_RECORD_FIELDS = APPLICATION_FIELDS + ELABORATION_FIELDS


class RmpRefused(InvalidState):
    """The RMP record cannot be changed as asked; the message says why."""


class RmpRecord(Base):
    """The renovation master plan of one Advice dossier (one row per dossier)."""

    __tablename__ = "rmp_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True)
    # Decision & request: the VEKA application form.
    association_name: Mapped[str | None] = mapped_column(String(200))
    association_enterprise_number: Mapped[str | None] = mapped_column(String(20))
    syndic_name: Mapped[str | None] = mapped_column(String(200))
    building_units: Mapped[int | None]
    building_year: Mapped[int | None]
    ga_decision_on: Mapped[dt.date | None] = mapped_column(Date)
    application_submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    # The one-stop shop's support actions.
    support_actions: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    energy_data_requested_on: Mapped[dt.date | None] = mapped_column(Date)
    support_notes: Mapped[str | None] = mapped_column(Text)
    # Quotes, award and amounts.
    quotes_received_on: Mapped[dt.date | None] = mapped_column(Date)
    quotes_count: Mapped[int | None]
    awarded_to: Mapped[str | None] = mapped_column(String(200))
    awarded_on: Mapped[dt.date | None] = mapped_column(Date)
    awarded_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    veka_subsidy: Mapped[Decimal | None] = mapped_column(MONEY)
    contract_received: Mapped[bool] = mapped_column(default=False)
    contract_received_on: Mapped[dt.date | None] = mapped_column(Date)
    # Elaboration.
    owner_survey_done: Mapped[bool] = mapped_column(default=False)
    owner_survey_on: Mapped[dt.date | None] = mapped_column(Date)
    occupant_survey_done: Mapped[bool] = mapped_column(default=False)
    occupant_survey_on: Mapped[dt.date | None] = mapped_column(Date)
    elements_received: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    ga_preparation: Mapped[str | None] = mapped_column(Text)
    ga_date: Mapped[dt.date | None] = mapped_column(Date)
    # {step: {"planned": "YYYY-MM-DD" | None, "actual": "YYYY-MM-DD" | None}} for CALENDAR_STEPS.
    calendar: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)

    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def own_contribution(self) -> Decimal | None:
        """What the co-ownership pays itself: the awarded amount less the VEKA subsidy (computed,
        never typed); unknown until the awarded amount is known."""
        if self.awarded_amount is None:
            return None
        return self.awarded_amount - (self.veka_subsidy or Decimal("0"))


def is_rmp_dossier(dossier: Dossier) -> bool:
    """An Advice dossier of the subtype "Renovation master plan"."""
    subtype: DossierSubtype | None = dossier.subtype
    return (dossier.type == DossierType.ADVICE.value and subtype is not None
            and subtype.code == RMP_SUBTYPE_CODE)


def rmp_record_of(session: Session, dossier_id: int) -> RmpRecord | None:
    return session.scalar(select(RmpRecord).where(RmpRecord.dossier_id == dossier_id))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def clean_calendar(calendar: Mapping[str, Any] | None) -> dict[str, dict[str, str | None]]:
    """The calendar as it is stored: every known step, ISO dates or None (unknown steps dropped)."""
    out: dict[str, dict[str, str | None]] = {}
    for step in CALENDAR_STEPS:
        entry = (calendar or {}).get(step) or {}
        planned, actual = _date(entry.get("planned")), _date(entry.get("actual"))
        out[step] = {"planned": _plain(planned), "actual": _plain(actual)}
    return out


def _check(record: RmpRecord) -> None:
    """The rules that hold whatever form changed the record (the forms say the same, per field)."""
    if record.awarded_amount is not None and record.veka_subsidy is not None \
            and record.veka_subsidy > record.awarded_amount:
        raise RmpRefused("The VEKA subsidy cannot exceed the awarded amount.")
    if record.veka_subsidy is not None and record.awarded_amount is None:
        raise RmpRefused("Enter the awarded amount before the VEKA subsidy.")
    if record.contract_received_on is not None and not record.contract_received:
        raise RmpRefused("A contract receipt date needs the contract to be received.")
    for earlier, later in (("application_submitted_on", "awarded_on"), ("quotes_received_on", "awarded_on"),
                           ("awarded_on", "contract_received_on")):
        first, second = getattr(record, earlier), getattr(record, later)
        if first is not None and second is not None and second < first:
            raise RmpRefused(f"{later} cannot come before {earlier}.")


def save_rmp(session: Session, dossier: Dossier, part: str, data: Mapping[str, Any], *,
             user_id: int | None) -> dict[str, list[Any]]:
    """Change one part of the dossier's RMP record (``application`` or ``elaboration``) with
    validated ``data``; a field of that part missing from ``data`` is cleared. Returns the changes
    as {field: [old, new]}; audited as ``rmp_<part>_saved`` when something changed."""
    if part not in PARTS:
        raise ValueError(f"unknown part of the RMP record: {part!r}")
    if not is_rmp_dossier(dossier):
        raise RmpRefused("Only an Advice dossier of the subtype “Renovation master plan” has an RMP record.")
    unknown = set(data) - set(PARTS[part])
    if unknown:
        raise ValueError(f"not a field of the RMP {part}: {sorted(unknown)}")
    record = rmp_record_of(session, dossier.id)
    wanted: dict[str, Any] = {}
    for name in PARTS[part]:
        value = data.get(name)
        if name in ("support_actions", "elements_received"):
            value = sorted(set(value or []))
        elif name == "calendar":
            value = clean_calendar(value)
        elif name in ("contract_received", "owner_survey_done", "occupant_survey_done"):
            value = bool(value)
        wanted[name] = value
    # Check the record as it would become before changing anything (nothing is half-saved).
    current = {column: getattr(record, column) for column in _RECORD_FIELDS} if record is not None else {}
    _check(RmpRecord(**{**current, **wanted}))
    if record is None:
        record = RmpRecord(dossier_id=dossier.id, support_actions=[], elements_received=[], calendar={},
                           contract_received=False, owner_survey_done=False, occupant_survey_done=False)
        session.add(record)
    before_contribution = record.own_contribution
    changes: dict[str, list[Any]] = {}
    for name, new in wanted.items():
        old = clean_calendar(record.calendar) if name == "calendar" else getattr(record, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(record, name, new)
    if changes:
        record.updated_by_id = user_id
        record.updated_at = utcnow()
        detail: dict[str, Any] = {"changes": changes}
        if record.own_contribution != before_contribution:
            detail["own_contribution"] = _plain(record.own_contribution)
        session.add(AuditEvent(instance_id=dossier.process_instance_id, subject_type="dossier",
                               subject_id=dossier.id, actor_id=user_id, kind=f"rmp_{part}_saved",
                               detail=detail, at=utcnow()))
    session.flush()
    return changes


@dataclass(frozen=True)
class TimelineItem:
    on: dt.date
    code: str  # what happened: a field of the record or "calendar:<step>"
    planned: bool = False  # a planned calendar date (not yet done)


_TIMELINE_DATES = ("ga_decision_on", "application_submitted_on", "energy_data_requested_on", "quotes_received_on",
                   "awarded_on", "contract_received_on", "owner_survey_on", "occupant_survey_on", "ga_date")


def rmp_timeline(record: RmpRecord | None) -> list[TimelineItem]:
    """The dated events of the plan, oldest first: the record's dates and the calendar's steps
    (the actual date when there is one, else the planned date, marked as planned)."""
    if record is None:
        return []
    items = [TimelineItem(getattr(record, name), name) for name in _TIMELINE_DATES if getattr(record, name)]
    for step, entry in clean_calendar(record.calendar).items():
        if entry["actual"]:
            items.append(TimelineItem(dt.date.fromisoformat(entry["actual"]), f"calendar:{step}"))
        elif entry["planned"]:
            items.append(TimelineItem(dt.date.fromisoformat(entry["planned"]), f"calendar:{step}", planned=True))
    order = {code: index for index, code in enumerate(_TIMELINE_DATES + tuple(f"calendar:{s}" for s in CALENDAR_STEPS))}
    return sorted(items, key=lambda item: (item.on, order[item.code]))
