"""Buildings whose meters are read for a client (a syndic or building manager, known by its
client number). Apartments, meters and readings are added next to this table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


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
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def address(self) -> str:
        street = " ".join(p for p in (self.street, self.house_number) if p)
        town = " ".join(p for p in (self.postcode, self.municipality) if p)
        return ", ".join(p for p in (street, town) if p)
