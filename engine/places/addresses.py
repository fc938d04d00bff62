"""Reading the address register, the site address of a journey, address details and EPC records.

Every write is audited on the journey's first dossier (``subject_type="dossier"``)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.db import utcnow
from engine.parties.models import Organisation, OrganisationKind
from engine.places.models import Address, AddressDetails, DossierSite, EpcRecord
from engine.workflow.models import AuditEvent

SEARCH_LIMIT = 200
DETAIL_FIELDS = (
    "parcel_number", "housing_type", "construction_type", "building_address_id", "situation",
    "housing_units", "other_units", "floors", "several_buildings", "typology", "association_id",
)
EPC_FIELDS = ("label", "kind", "calculation", "e_level", "kwh_per_m2", "common_parts", "issued_on")


class AddressNotInRegister(ValueError):
    """A site address (or building address) that is not an address of the register: free text (``reason="free_text"``)
    or an unknown id (``reason="unknown"``)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def audit(session: Session, dossier_id: int, kind: str, actor_id: int | None, **detail: Any) -> AuditEvent:
    """An audit event about a dossier that is not a change of its process instance."""
    event = AuditEvent(subject_type="dossier", subject_id=dossier_id, actor_id=actor_id, kind=kind,
                       detail=detail, at=utcnow())
    session.add(event)
    return event


# --------------------------------------------------------------------------- register search


def normalise_postcode(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "")[:10]


def municipalities(session: Session, postcode: str) -> list[str]:
    """The municipality names of a postcode (usually one)."""
    return list(session.scalars(
        select(Address.municipality).where(Address.postcode == normalise_postcode(postcode))
        .distinct().order_by(Address.municipality)
    ))


def streets(session: Session, postcode: str, prefix: str = "", limit: int = SEARCH_LIMIT) -> list[str]:
    """Street names of a postcode starting with ``prefix`` (case-insensitive)."""
    query = select(Address.street).where(Address.postcode == normalise_postcode(postcode))
    prefix = prefix.strip()
    if prefix:
        query = query.where(func.lower(Address.street).startswith(prefix.lower(), autoescape=True))
    return list(session.scalars(query.distinct().order_by(Address.street).limit(limit)))


def _number_key(address: Address) -> tuple[int, str, int, str]:
    def split(value: str | None) -> tuple[int, str]:
        match = re.match(r"(\d+)(.*)", value or "")
        return (int(match.group(1)), match.group(2)) if match else (-1, value or "")

    return (*split(address.house_number), *split(address.box_number))


def find_addresses(session: Session, postcode: str, street: str, house_number: str = "",
                   limit: int = SEARCH_LIMIT) -> list[Address]:
    """The register's addresses of a street (exact name, case-insensitive), optionally of one
    house number: every box number of that house (important for apartment buildings)."""
    query = select(Address).where(Address.postcode == normalise_postcode(postcode),
                                  func.lower(Address.street) == street.strip().lower())
    if house_number.strip():
        query = query.where(func.lower(Address.house_number) == house_number.strip().lower())
    return sorted(session.scalars(query.limit(limit)), key=_number_key)


def register_address(session: Session, value: object) -> Address:
    """The register address whose id is ``value``; anything else is refused."""
    text = str(value).strip() if value is not None else ""
    if not re.fullmatch(r"[0-9]{1,18}", text):
        raise AddressNotInRegister("Choose the address in the address register; typed addresses are not accepted.",
                                   "free_text")
    address = session.get(Address, int(text)) if int(text) < 2**31 else None
    if address is None:
        raise AddressNotInRegister("This address is not in the address register.", "unknown")
    return address


# --------------------------------------------------------------------------- site address


def journey_root(session: Session, dossier: Dossier) -> Dossier:
    if dossier.journey_id is None:
        return dossier
    root = session.get(Dossier, dossier.journey_root_id)
    assert root is not None
    return root


def site_address(session: Session, dossier: Dossier) -> Address | None:
    """The site address of the dossier's journey (held by its first dossier)."""
    site = session.get(DossierSite, dossier.journey_root_id)
    return site.address if site is not None else None


def set_site_address(session: Session, dossier: Dossier, address_id: object, *, user_id: int | None) -> Address:
    """Set the journey's site address to a register address. Raises :class:`AddressNotInRegister`
    for free text or an unknown id; nothing is changed then."""
    address = register_address(session, address_id)
    root_id = dossier.journey_root_id
    site = session.get(DossierSite, root_id)
    previous = site.address_id if site is not None else None
    if previous == address.id:
        return address
    if site is None:
        try:
            with session.begin_nested():  # someone may set the journey's first site address at the same moment
                session.add(DossierSite(dossier_id=root_id, address_id=address.id, set_by_id=user_id,
                                        set_at=utcnow()))
        except IntegrityError:
            site = session.get(DossierSite, root_id, populate_existing=True)
            if site is None:
                raise
    if site is not None:
        site.address_id, site.set_by_id, site.set_at = address.id, user_id, utcnow()
    audit(session, root_id, "site_address_set", user_id, address_id=address.id, address=address.label,
          previous_address_id=previous)
    session.flush()
    return address


# --------------------------------------------------------------------------- details and EPC


class UnknownAssociation(ValueError):
    """The co-ownership association given is not an organisation of Guichet."""


def associations(session: Session, limit: int = 1000) -> list[Organisation]:
    """The organisations that are co-ownership associations, by name (the choices of the details form)."""
    return list(session.scalars(
        select(Organisation).where(Organisation.kind == OrganisationKind.CO_OWNERSHIP_ASSOCIATION.value)
        .order_by(func.lower(Organisation.name), Organisation.id).limit(limit)
    ))


def details_of(session: Session, address_id: int) -> AddressDetails | None:
    return session.get(AddressDetails, address_id)


def save_details(session: Session, address: Address, values: dict[str, Any], *, user_id: int | None,
                 dossier_id: int | None = None) -> AddressDetails:
    """Store the details of an address; ``values`` were validated by the caller (keys of
    DETAIL_FIELDS). A building address must itself be a register address."""
    if values.get("building_address_id") is not None:
        values = {**values, "building_address_id": register_address(session, values["building_address_id"]).id}
    association_id = values.get("association_id")
    if association_id is not None and (not isinstance(association_id, int) or not 0 < association_id < 2**31
                                       or session.get(Organisation, association_id) is None):
        raise UnknownAssociation("The co-ownership association is not an organisation of Guichet.")
    details = session.get(AddressDetails, address.id)
    if details is None:
        details = AddressDetails(address_id=address.id)
        session.add(details)
    for name in DETAIL_FIELDS:
        if name in values:
            setattr(details, name, values[name])
    details.updated_by_id, details.updated_at = user_id, utcnow()
    if dossier_id is not None:
        audit(session, dossier_id, "address_details_saved", user_id, address_id=address.id)
    session.flush()
    return details


def epc_records(session: Session, address_id: int) -> list[EpcRecord]:
    return list(session.scalars(
        select(EpcRecord).where(EpcRecord.address_id == address_id)
        .order_by(EpcRecord.issued_on.desc(), EpcRecord.id.desc())
    ))


def add_epc(session: Session, address: Address, values: dict[str, Any], *, user_id: int | None,
            dossier_id: int | None = None) -> EpcRecord:
    record = EpcRecord(address_id=address.id, created_by_id=user_id,
                       **{name: values.get(name) for name in EPC_FIELDS})
    if record.common_parts is None:
        record.common_parts = False
    session.add(record)
    session.flush()
    if dossier_id is not None:
        audit(session, dossier_id, "epc_added", user_id, address_id=address.id, epc_id=record.id, label=record.label)
    return record


def update_epc(session: Session, record: EpcRecord, values: dict[str, Any], *, user_id: int | None,
               dossier_id: int | None = None) -> EpcRecord:
    for name in EPC_FIELDS:
        if name in values:
            setattr(record, name, values[name])
    if record.common_parts is None:
        record.common_parts = False
    record.updated_at = utcnow()
    if dossier_id is not None:
        audit(session, dossier_id, "epc_changed", user_id, address_id=record.address_id, epc_id=record.id,
              label=record.label)
    session.flush()
    return record
