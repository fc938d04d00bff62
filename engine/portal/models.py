"""Memberships of portal accounts in organisations and what they were granted."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONDoc, utcnow


class MemberRole(enum.StrEnum):
    """Seed 000: the organisation's administrator (the manager of seed 002, shown with a mark)
    has full access and creates administrative or technical responsibles."""

    MANAGER = "manager"
    ADMINISTRATIVE = "administrative"
    TECHNICAL = "technical"


class MemberStatus(enum.StrEnum):
    PENDING = "pending"  # joined an existing organisation: "awaiting confirmation"
    ACTIVE = "active"
    REFUSED = "refused"
    LEFT = "left"


class PortalFunction(enum.StrEnum):
    """What a manager can withhold from a member (seed 000: data, archives, functions)."""

    CONSUMPTION = "consumption"  # consumption data and histories
    ARCHIVES = "archives"  # yearly statements and documents
    DOWNLOADS = "downloads"  # "téléchargement relevés"
    INTERVENTIONS = "interventions"
    TENANT_CHANGES = "tenant_changes"
    COST_FORMS = "cost_forms"
    WALLET = "wallet"  # see the transactions, top up


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id", name="uq_memberships_organisation_user"),
        Index("ix_memberships_user", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default=MemberRole.ADMINISTRATIVE.value)
    status: Mapped[str] = mapped_column(String(20), default=MemberStatus.PENDING.value)
    # The employee's information in this organisation (seed 002: "informations de collaborateur")
    job_title: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    # False: only the buildings in membership_buildings (seed 000: "pour quels immeubles")
    all_buildings: Mapped[bool] = mapped_column(default=True)
    denied_functions: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def is_manager(self) -> bool:
        return self.role == MemberRole.MANAGER


class MembershipBuilding(Base):
    """A building a restricted member may see (read only when ``all_buildings`` is False)."""

    __tablename__ = "membership_buildings"

    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True)


class OrganisationBuilding(Base):
    """A building an organisation was given portal access to (an approved access request)."""

    __tablename__ = "organisation_buildings"
    __table_args__ = (Index("ix_organisation_buildings_building", "building_id"),)

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None]


class OrganisationClient(Base):
    """A client number of the meter company that belongs to the organisation; the consumption
    portal asks for it at sign-in (seed 000)."""

    __tablename__ = "organisation_clients"
    __table_args__ = (
        Index("uq_organisation_clients_active", "client_number", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    client_number: Mapped[str] = mapped_column(String(20))
    linked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
