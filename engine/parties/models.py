"""Contacts, organisations, their involvement in dossiers, and the local BCE sample table."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow

if TYPE_CHECKING:
    from engine.places.models import Address


class OrganisationKind(enum.StrEnum):
    CO_OWNERSHIP_ASSOCIATION = "co_ownership_association"  # ACP / VME
    CONTRACTOR = "contractor"
    SYNDIC = "syndic"
    OTHER = "other"


class PartyRole(enum.StrEnum):
    """In which capacity a contact or organisation is involved in a dossier (seed 001 §3.3)."""

    OWNER_OCCUPANT = "owner_occupant"
    OWNER_LANDLORD = "owner_landlord"
    TENANT = "tenant"
    CO_OWNER = "co_owner"
    SYNDIC_PROFESSIONAL = "syndic_professional"
    SYNDIC_VOLUNTEER = "syndic_volunteer"
    CONTRACTOR = "contractor"
    ARCHITECT = "architect"
    CO_OWNERSHIP_ASSOCIATION = "co_ownership_association"
    OTHER = "other"


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    language: Mapped[str | None] = mapped_column(String(5))  # fr / nl / en / de
    # An address of the register (engine/places), never typed free-hand; kept NULL when the register drops it.
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)  # deactivated: hidden from lists, kept
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    address: Mapped[Address | None] = relationship("Address")

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(40), default=OrganisationKind.OTHER.value)
    # 10 digits, no dots; unique when present (NULLs do not collide on either database)
    enterprise_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    legal_form: Mapped[str | None] = mapped_column(String(100))
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    box: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(10))
    municipality: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def address(self) -> str:
        street = " ".join(p for p in (self.street, self.house_number) if p)
        if self.box:
            street = f"{street} bte {self.box}"
        town = " ".join(p for p in (self.postcode, self.municipality) if p)
        return ", ".join(p for p in (street, town) if p)


class InvolvedParty(Base):
    """A contact or an organisation (exactly one) involved in a dossier in a role. At most one
    involvement per dossier is the main contact (a partial unique index); the commands in
    engine/parties/involvement.py keep exactly one as long as the dossier has parties."""

    __tablename__ = "involved_parties"
    __table_args__ = (
        CheckConstraint(
            "(contact_id IS NULL AND organisation_id IS NOT NULL)"
            " OR (contact_id IS NOT NULL AND organisation_id IS NULL)",
            name="one_party",
        ),
        Index("uq_involved_parties_main", "dossier_id", unique=True,
              sqlite_where=text("is_main"), postgresql_where=text("is_main")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    is_main: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    contact: Mapped[Contact | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    @property
    def party(self) -> Contact | Organisation:
        party = self.contact or self.organisation
        assert party is not None
        return party


class BceEnterprise(Base):
    """The denormalised row the local lookup provider reads: one per enterprise, rebuilt by the KBO
    open-data importer (integrations/bce/kbo) from the kbo_* tables for the enterprises it touched,
    so that a lookup is one primary-key read."""

    __tablename__ = "bce_enterprises"

    enterprise_number: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    legal_form: Mapped[str | None] = mapped_column(String(100))
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    box: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(10))
    municipality: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="AC")
    start_date: Mapped[dt.date | None]
    # Filled by the KBO importer (integrations/bce/kbo): the codes behind the descriptions above.
    juridical_form: Mapped[str | None] = mapped_column(String(3))
    type_of_enterprise: Mapped[str | None] = mapped_column(String(1))
    name_language: Mapped[str | None] = mapped_column(String(2))  # FR, NL, DE, EN of ``name``
