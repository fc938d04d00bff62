"""Buildings whose meters are read for a client (a syndic or building manager, known by its
client number), their units (apartments), their meters and the readings of those meters
(seed 000). A meter is never edited into another one: a replacement removes the old meter (its
``removed_on``) and installs a new one that points to it (``replaces_id``), so the history of
readings stays whole and consumption is added up across the replacement."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONDoc, utcnow


class Building(Base):
    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The meter company's client number of whoever manages the building (seed 000: "numéro de
    # client"); a portal organisation is linked to it when its access request is approved.
    client_number: Mapped[str] = mapped_column(String(20), index=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)  # the building id shown to users ("ID Immeuble")
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(10))
    municipality: Mapped[str | None] = mapped_column(String(100))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"))
    # Portal access is possible only for buildings read by radio (seed 000, "Accès").
    radio_meters: Mapped[bool] = mapped_column(default=False)
    # "TSS": remote reading through a gateway (GPRS modem) in the common parts, every two months.
    remote_reading: Mapped[bool] = mapped_column(default=False)
    gateway_id: Mapped[str | None] = mapped_column(String(50))
    association_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    # The yearly reference (billing) date: heat cost allocators reset to zero on it; the yearly
    # statement runs from the day after it.
    reference_month: Mapped[int] = mapped_column(default=12, server_default=text("12"))
    reference_day: Mapped[int] = mapped_column(default=31, server_default=text("31"))
    # Heating costs: the fixed part (by share) in percent, the rest by allocator units (e.g. 30/70).
    heating_fixed_percent: Mapped[int] = mapped_column(default=30, server_default=text("30"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def address(self) -> str:
        street = " ".join(p for p in (self.street, self.house_number) if p)
        town = " ".join(p for p in (self.postcode, self.municipality) if p)
        return ", ".join(p for p in (street, town) if p)


class BuildingUnit(Base):
    """An apartment (or another private unit) of a building: number, floor, occupant, share."""

    __tablename__ = "building_units"
    __table_args__ = (UniqueConstraint("building_id", "number", name="uq_building_units_building_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20))  # "A1", "0.2", "12"
    floor: Mapped[str | None] = mapped_column(String(10))
    occupant: Mapped[str | None] = mapped_column(String(200))  # the current occupant's name
    share: Mapped[Decimal] = mapped_column(Numeric(10, 4, asdecimal=True), default=Decimal("0"))  # quotités
    surface_m2: Mapped[Decimal | None] = mapped_column(Numeric(8, 2, asdecimal=True))
    active: Mapped[bool] = mapped_column(default=True)


class MeterKind(enum.StrEnum):
    HEAT_COST_ALLOCATOR = "heat_cost_allocator"  # "répartiteur de chaleur": units, reset yearly
    COLD_WATER = "cold_water"  # m3, an index that never resets
    HOT_WATER = "hot_water"  # m3
    HEAT = "heat"  # heat meter / integrator: kWh


# the unit each kind is read in; a reading in another unit is refused
MEASURE_OF_KIND: dict[str, str] = {
    MeterKind.HEAT_COST_ALLOCATOR: "units",
    MeterKind.COLD_WATER: "m3",
    MeterKind.HOT_WATER: "m3",
    MeterKind.HEAT: "kWh",
}


class ReadingMode(enum.StrEnum):
    RADIO = "radio"  # walk-by / drive-by radio reading
    REMOTE = "remote"  # through the building's gateway (TSS), every two months
    MANUAL = "manual"  # read on site


class Meter(Base):
    __tablename__ = "meters"
    __table_args__ = (
        Index("ix_meters_building_kind", "building_id", "kind"),
        Index("ix_meters_serial", "serial"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("building_units.id", ondelete="SET NULL"),
                                                index=True)  # None: common parts
    serial: Mapped[str] = mapped_column(String(40))  # as printed / as in the telegrams ("11776622")
    kind: Mapped[str] = mapped_column(String(24))  # MeterKind
    measure: Mapped[str] = mapped_column(String(8))  # MEASURE_OF_KIND[kind]
    location: Mapped[str | None] = mapped_column(String(100))  # allocators: the radiator's room
    # allocators: the radiator's rating factor (units x factor = billable units)
    rating_factor: Mapped[Decimal | None] = mapped_column(Numeric(8, 4, asdecimal=True))
    reading_mode: Mapped[str] = mapped_column(String(8), default=ReadingMode.RADIO.value)
    installed_on: Mapped[dt.date]
    removed_on: Mapped[dt.date | None]
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id", ondelete="SET NULL"))


class ReadingKind(enum.StrEnum):
    PERIODIC = "periodic"  # a radio, gateway or file reading
    INSTALLATION = "installation"  # the index when the meter was installed
    REMOVAL = "removal"  # the last index of a replaced meter
    INTERMEDIATE = "intermediate"  # at a tenant change: splits the unit's year in the statement
    RESET = "reset"  # an allocator's value at the reference date, just before it restarts at zero


class MeterReading(Base):
    """One index of one meter at one time. The same (meter, time, value) is never stored twice:
    importing a file again adds nothing."""

    __tablename__ = "meter_readings"
    __table_args__ = (
        UniqueConstraint("meter_id", "read_at", "value", name="uq_meter_readings_meter_time_value"),
        Index("ix_meter_readings_meter_time", "meter_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id", ondelete="CASCADE"))
    read_at: Mapped[dt.datetime]
    value: Mapped[Decimal] = mapped_column(Numeric(14, 3, asdecimal=True))
    kind: Mapped[str] = mapped_column(String(14), default=ReadingKind.PERIODIC.value)
    source: Mapped[str] = mapped_column(String(12))  # csv | xlsx | wmbus | gateway | manual | tenant_change
    import_id: Mapped[int | None] = mapped_column(ForeignKey("meter_reading_imports.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReadingImport(Base):
    """One run of an importer (a file, a gateway pull): what came in, what was refused and why."""

    __tablename__ = "meter_reading_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(255))  # file name or gateway id
    sha256: Mapped[str | None] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_imported: Mapped[int] = mapped_column(default=0)
    rows_duplicate: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    # [{"line": 12, "reason": "unknown meter 11776699"}, ...] (the first 1,000)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
