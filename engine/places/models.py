from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow
from engine.parties.models import Organisation


class Address(Base):
    """One address of the buildings and addresses register (seed 001 §3.3.2). Rows come only from
    the register (an import); nobody types an address free-hand."""

    __tablename__ = "addresses"
    __table_args__ = (Index("ix_addresses_postcode_street", "postcode", "street", "house_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[str] = mapped_column(String(100), unique=True)  # the register's object id
    postcode: Mapped[str] = mapped_column(String(10))
    municipality: Mapped[str] = mapped_column(String(100))
    street: Mapped[str] = mapped_column(String(200))
    house_number: Mapped[str] = mapped_column(String(20))
    box_number: Mapped[str | None] = mapped_column(String(20))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def street_line(self) -> str:
        line = f"{self.street} {self.house_number}"
        return f"{line} bus {self.box_number}" if self.box_number else line

    @property
    def label(self) -> str:
        return f"{self.street_line}, {self.postcode} {self.municipality}"


class HousingType(enum.StrEnum):
    HOUSE = "house"
    APARTMENT = "apartment"
    BUILDING = "building"  # an apartment building
    STUDIO = "studio"
    OTHER = "other"


class ConstructionType(enum.StrEnum):
    DETACHED = "detached"  # open bebouwing
    SEMI_DETACHED = "semi_detached"  # halfopen
    TERRACED = "terraced"  # gesloten
    OTHER = "other"


class AddressDetails(Base):
    """What the one-stop shop knows of the building at an address (seed 001 §3.3.3)."""

    __tablename__ = "address_details"

    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id", ondelete="CASCADE"), primary_key=True)
    parcel_number: Mapped[str | None] = mapped_column(String(50))
    housing_type: Mapped[str | None] = mapped_column(String(20))
    construction_type: Mapped[str | None] = mapped_column(String(20))
    # An apartment: the address of its building (same address without box number) and where it is.
    building_address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"))
    situation: Mapped[str | None] = mapped_column(String(200))
    # A building.
    housing_units: Mapped[int | None]
    other_units: Mapped[int | None]  # cellars, parking places, garages, shops, offices…
    floors: Mapped[int | None]  # without cellar and attic
    several_buildings: Mapped[bool | None]
    typology: Mapped[str | None] = mapped_column(String(100))
    # The co-ownership association (an organisation of engine/parties, kind co_ownership_association).
    association_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    building_address: Mapped[Address | None] = relationship(foreign_keys=[building_address_id])
    association: Mapped[Organisation | None] = relationship()


class EpcKind(enum.StrEnum):
    EPB = "epb"
    EPC = "epc"


class EpcCalculation(enum.StrEnum):
    REAL = "real"
    ESTIMATED = "estimated"  # by the renovation advisor


EPC_LABELS = ("A+", "A", "B", "C", "D", "E", "F")


class EpcRecord(Base):
    """An energy performance certificate (EPC) or EPB declaration of an address; several per address."""

    __tablename__ = "epc_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(5))
    kind: Mapped[str] = mapped_column(String(5))
    calculation: Mapped[str] = mapped_column(String(10))
    e_level: Mapped[int | None]
    kwh_per_m2: Mapped[float | None] = mapped_column(Numeric(8, 1, asdecimal=False))
    common_parts: Mapped[bool] = mapped_column(default=False)
    issued_on: Mapped[dt.date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DossierSite(Base):
    """The site address of a journey: one row for the journey's first dossier, shared by its
    follow-up dossiers."""

    __tablename__ = "dossier_sites"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"), index=True)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    address: Mapped[Address] = relationship()
