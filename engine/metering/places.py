"""Buildings, their units (apartments) and their meters: the records every reading and every
consumption figure hangs on (seed 000)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.metering.models import MEASURE_OF_KIND, Building, BuildingUnit, Meter, MeterKind, ReadingMode


def create_building(session: Session, **fields: Any) -> Building:
    building = Building(**fields)
    session.add(building)
    session.flush()
    return building


def add_unit(session: Session, building: Building, number: str, *, floor: str | None = None,
             occupant: str | None = None, share: Decimal | int | str = Decimal(0),
             surface_m2: Decimal | None = None) -> BuildingUnit:
    unit = BuildingUnit(building_id=building.id, number=number.strip(), floor=floor, occupant=occupant,
                        share=Decimal(str(share)), surface_m2=surface_m2)
    session.add(unit)
    session.flush()
    return unit


def install_meter(session: Session, building: Building, *, serial: str, kind: MeterKind | str,
                  installed_on: dt.date, unit: BuildingUnit | None = None, location: str | None = None,
                  rating_factor: Decimal | None = None,
                  reading_mode: ReadingMode | str = ReadingMode.RADIO, replaces: Meter | None = None) -> Meter:
    """A meter of the building (of a unit, or of the common parts when ``unit`` is None); its
    measure follows from its kind. Only heat cost allocators carry a rating factor."""
    kind = MeterKind(kind)
    if rating_factor is not None and kind != MeterKind.HEAT_COST_ALLOCATOR:
        raise ValueError("only a heat cost allocator has a rating factor")
    meter = Meter(building_id=building.id, unit_id=unit.id if unit else None, serial=serial.strip(),
                  kind=kind.value, measure=MEASURE_OF_KIND[kind], location=location, rating_factor=rating_factor,
                  reading_mode=ReadingMode(reading_mode).value, installed_on=installed_on,
                  replaces_id=replaces.id if replaces else None)
    session.add(meter)
    session.flush()
    return meter


def units_of(session: Session, building_id: int) -> list[BuildingUnit]:
    return list(session.scalars(select(BuildingUnit).where(BuildingUnit.building_id == building_id,
                                                           BuildingUnit.active.is_(True))
                                .order_by(BuildingUnit.number)))


def meters_of(session: Session, building_id: int, active_on: dt.date | None = None) -> list[Meter]:
    """The building's meters (those installed on ``active_on`` when given), by unit and serial."""
    query = select(Meter).where(Meter.building_id == building_id)
    if active_on is not None:
        query = query.where(Meter.installed_on <= active_on,
                            or_(Meter.removed_on.is_(None), Meter.removed_on >= active_on))
    return list(session.scalars(query.order_by(Meter.unit_id, Meter.kind, Meter.serial, Meter.installed_on)))
