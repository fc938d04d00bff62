"""Syndic mandates at the BCE (seed 002, first part): the requests filed with the enterprise
counter, the dated fee table, and the mandate history of every co-ownership association.

The open KBO data holds no functions, so a syndic's mandate is known only from the requests
Guichet filed and saw confirmed: ``syndic_mandates`` is that history (one row per mandate, ended
by a termination). A request keeps what was asked, the rules' outcome at submission (deadline,
lateness, representative case, fee) and where it is in its process.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONDoc, utcnow


class RequestKind(enum.StrEnum):
    REGISTRATION = "registration"  # a new syndic (provisional ones too)
    MODIFICATION = "modification"  # a registered syndic's data changed (address, enterprise number …)
    TERMINATION = "termination"  # radiation of the outgoing syndic
    TERMINATION_AND_REGISTRATION = "termination_and_registration"  # "in one movement": one fee


class SyndicKind(enum.StrEnum):
    NATURAL = "natural"  # a natural person: national register or BIS number
    LEGAL = "legal"  # a company: its enterprise number, and maybe a representative


class AppointedBy(enum.StrEnum):
    GENERAL_ASSEMBLY = "general_assembly"
    JUDGE = "judge"


class RepresentativeCase(enum.StrEnum):
    """What the law asks about a representative (seed 002, the three cases)."""

    NOT_APPLICABLE = "not_applicable"  # natural-person syndic
    NAMED = "named"  # the decision names one: that representative must be registered
    COMPANY_ACCREDITED = "company_accredited"  # none named, the company has its own IPI accreditation
    ACCREDITED_REQUIRED = "accredited_required"  # none named, no IPI of its own: an accredited one


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # waiting for the case worker's document check
    SENT_BACK = "sent_back"  # the requester must answer the case worker's reason on the portal
    AWAITING_PAYMENT = "awaiting_payment"  # approved; the wallet did not cover the fee
    FILED = "filed"  # sent to the enterprise counter, waiting for its confirmation
    RECORDED = "recorded"  # confirmed; the mandate history is updated
    CANCELLED = "cancelled"


class FeeRate(Base):
    """The fee per request from ``valid_from`` on (indexed yearly; an administrator adds a row)."""

    __tablename__ = "syndic_fee_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[dt.date] = mapped_column(unique=True)
    request_fee: Mapped[Decimal] = mapped_column(Numeric(10, 2, asdecimal=True))  # VAT not applicable
    unknown_association_supplement: Mapped[Decimal] = mapped_column(Numeric(10, 2, asdecimal=True))  # excl. VAT
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4, asdecimal=True), default=Decimal("0.21"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MandateRequest(Base):
    __tablename__ = "syndic_mandate_requests"
    __table_args__ = (
        Index("ix_syndic_mandate_requests_organisation", "organisation_id", "created_at"),
        Index("ix_syndic_mandate_requests_association", "association_number"),
        Index("ix_syndic_mandate_requests_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. SYN-2026-000042
    kind: Mapped[str] = mapped_column(String(40))  # RequestKind
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.SUBMITTED.value)
    channel: Mapped[str] = mapped_column(String(12), default="portal")  # portal | back_office
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))  # pays
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # the co-ownership association (its enterprise number is required; the BCE says if it is known)
    association_number: Mapped[str] = mapped_column(String(10))
    association_name: Mapped[str | None] = mapped_column(String(300))
    association_address: Mapped[str | None] = mapped_column(String(400))
    association_known: Mapped[bool] = mapped_column(default=True)
    association_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id",
                                                                               ondelete="SET NULL"))

    # the syndic (incoming one for a registration, the registered one for a modification)
    syndic_kind: Mapped[str | None] = mapped_column(String(10))  # SyndicKind
    syndic_name: Mapped[str | None] = mapped_column(String(300))  # last name, or the company's name
    syndic_first_names: Mapped[str | None] = mapped_column(String(200))
    syndic_person_number: Mapped[str | None] = mapped_column(String(11))  # national register / BIS
    syndic_person_number_kind: Mapped[str | None] = mapped_column(String(4))  # nn | bis
    syndic_enterprise_number: Mapped[str | None] = mapped_column(String(10))
    syndic_profession: Mapped[str | None] = mapped_column(String(200))
    syndic_address: Mapped[str | None] = mapped_column(String(400))
    syndic_email: Mapped[str | None] = mapped_column(String(254))
    syndic_phone: Mapped[str | None] = mapped_column(String(40))
    provisional: Mapped[bool] = mapped_column(default=False)
    appointed_by: Mapped[str | None] = mapped_column(String(20))  # AppointedBy

    # representative of a legal-person syndic
    decision_names_representative: Mapped[bool | None]
    company_has_ipi: Mapped[bool | None]
    representative_case: Mapped[str] = mapped_column(String(24), default=RepresentativeCase.NOT_APPLICABLE.value)
    representative_name: Mapped[str | None] = mapped_column(String(300))
    representative_first_names: Mapped[str | None] = mapped_column(String(200))
    representative_person_number: Mapped[str | None] = mapped_column(String(11))
    representative_ipi_number: Mapped[str | None] = mapped_column(String(20))

    # dates
    decision_date: Mapped[dt.date | None]
    mandate_start: Mapped[dt.date | None]
    mandate_end: Mapped[dt.date | None]
    effective_date: Mapped[dt.date | None]  # a modification or a termination takes effect
    changes: Mapped[str | None] = mapped_column(Text)  # what a modification changes
    outgoing_mandate_id: Mapped[int | None] = mapped_column(ForeignKey("syndic_mandates.id", ondelete="SET NULL"))
    outgoing_syndic_name: Mapped[str | None] = mapped_column(String(300))  # when not in Guichet's history

    # {"decision_extract": {"sha256", "name", "size", "content_type"}, "revocation_proof": {...}}
    documents: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)

    # the rules' outcome at submission
    filed_on: Mapped[dt.date]
    deadline: Mapped[dt.date | None]
    deadline_rule: Mapped[str | None] = mapped_column(String(40))
    late_working_days: Mapped[int] = mapped_column(default=0)  # 0: on time
    fee_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    fee_total: Mapped[Decimal] = mapped_column(Numeric(10, 2, asdecimal=True), default=Decimal("0"))
    paid_at: Mapped[dt.datetime | None]
    wallet_entry_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_entries.id", ondelete="SET NULL"))

    # the case worker's check and the requester's answer
    send_back_reason: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)

    # the enterprise counter
    counter_channel: Mapped[str | None] = mapped_column(String(8))  # mail | http
    counter_reference: Mapped[str | None] = mapped_column(String(80))
    sent_to_counter_at: Mapped[dt.datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    confirmed_at: Mapped[dt.datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    process_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id",
                                                                       ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Mandate(Base):
    """One syndic's mandate for one association, from its confirmed registration to its end."""

    __tablename__ = "syndic_mandates"
    __table_args__ = (
        Index("ix_syndic_mandates_association", "association_number", "start_date"),
        Index("ix_syndic_mandates_syndic_organisation", "syndic_organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_number: Mapped[str] = mapped_column(String(10))
    association_name: Mapped[str | None] = mapped_column(String(300))
    association_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id",
                                                                               ondelete="SET NULL"))
    syndic_kind: Mapped[str] = mapped_column(String(10))
    syndic_name: Mapped[str] = mapped_column(String(300))
    syndic_first_names: Mapped[str | None] = mapped_column(String(200))
    syndic_enterprise_number: Mapped[str | None] = mapped_column(String(10))
    syndic_person_number: Mapped[str | None] = mapped_column(String(11))
    syndic_address: Mapped[str | None] = mapped_column(String(400))
    # the Guichet organisation that filed it (the syndic's own, on the portal), if any
    syndic_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id",
                                                                          ondelete="SET NULL"))
    representative_name: Mapped[str | None] = mapped_column(String(300))
    representative_first_names: Mapped[str | None] = mapped_column(String(200))
    representative_person_number: Mapped[str | None] = mapped_column(String(11))
    provisional: Mapped[bool] = mapped_column(default=False)
    appointed_by: Mapped[str | None] = mapped_column(String(20))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    registered_by_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("syndic_mandate_requests.id", ondelete="SET NULL", use_alter=True))
    ended_by_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("syndic_mandate_requests.id", ondelete="SET NULL", use_alter=True))
    modified_by_request_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
