"""Every change to contacts and organisations, each written to the audit trail
(``audit_events`` with subject_type ``contact`` / ``organisation``). Run inside the caller's
transaction, like the engine's commands."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import Base, utcnow
from engine.parties.enterprise_number import normalise
from engine.parties.errors import DuplicateOrganisation, InvolvementRefused, PartyInUse
from engine.parties.models import Contact, InvolvedParty, Organisation
from engine.places.addresses import AddressNotInRegister, register_address
from engine.places.models import Address
from engine.workflow.errors import NotFound
from engine.workflow.models import AuditEvent

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "language", "address_id", "notes")
ORGANISATION_FIELDS = ("name", "kind", "enterprise_number", "legal_form", "street", "house_number", "box",
                       "postcode", "municipality", "email", "phone", "notes")

Party = Contact | Organisation


def subject_type(party: Party) -> str:
    return "contact" if isinstance(party, Contact) else "organisation"


def audit(session: Session, subject: str, subject_id: int, kind: str, actor_id: int | None,
          **detail: Any) -> AuditEvent:
    event = AuditEvent(instance_id=None, subject_type=subject, subject_id=subject_id, actor_id=actor_id,
                       kind=kind, detail=detail, at=utcnow())
    session.add(event)
    return event


def _get(session: Session, model: type[Party], party_id: int) -> Any:
    party = session.get(model, party_id)
    if party is None:
        raise NotFound(f"no {model.__tablename__[:-1]} {party_id}")
    return party


def _clean(data: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in names:
        if name in data:
            value = data[name]
            out[name] = value.strip() or None if isinstance(value, str) else value
    return out


def _apply(party: Party, values: dict[str, Any]) -> dict[str, list[Any]]:
    changes = {}
    for name, value in values.items():
        old = getattr(party, name)
        if old != value:
            changes[name] = [old, value]
            setattr(party, name, value)
    return changes


# -- contacts ---------------------------------------------------------------------------------

def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


def similar_contacts(session: Session, data: Mapping[str, Any], exclude_id: int | None = None) -> list[Contact]:
    """Possible duplicates: same first and last name (case-insensitive) and the same e-mail or
    phone number (compared on digits). Deactivated contacts count too: they can be reactivated."""
    first = (data.get("first_name") or "").strip().lower()
    last = (data.get("last_name") or "").strip().lower()
    email = (data.get("email") or "").strip().lower()
    phone = _digits(data.get("phone"))
    if not last or not (email or phone):
        return []
    candidates = session.scalars(
        select(Contact).where(func.lower(Contact.last_name) == last, func.lower(Contact.first_name) == first)
        .order_by(Contact.id)
    ).all()
    return [
        c for c in candidates
        if c.id != exclude_id
        and ((email and (c.email or "").lower() == email) or (phone and _digits(c.phone) == phone))
    ]


def _contact_values(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    """The contact's fields; its address only as the id of a register address. A typed address
    (``address`` given as text, or text as ``address_id``) or an unknown id raises
    :class:`AddressNotInRegister`, like the site address; nothing is changed then."""
    if isinstance(data.get("address"), str) and data["address"].strip():
        raise AddressNotInRegister("Choose the address in the address register; typed addresses are not accepted.",
                                   "free_text")
    values = _clean(data, CONTACT_FIELDS)
    if values.get("address_id") is not None:
        values["address_id"] = register_address(session, values["address_id"]).id
    return values


def _address_label(session: Session, address_id: int | None) -> str | None:
    address = session.get(Address, address_id) if address_id is not None else None
    return address.label if address is not None else None


def create_contact(session: Session, data: Mapping[str, Any], actor_id: int | None) -> Contact:
    """Raises AddressNotInRegister (nothing saved) for an address that is not a register address."""
    values = _contact_values(session, data)
    contact = Contact(**values, created_by_id=actor_id)
    if contact.first_name is None:
        contact.first_name = ""
    session.add(contact)
    session.flush()
    detail: dict[str, Any] = {"name": contact.name}
    if contact.address_id is not None:
        detail.update(address_id=contact.address_id, address=_address_label(session, contact.address_id))
    audit(session, "contact", contact.id, "contact_created", actor_id, **detail)
    return contact


def update_contact(session: Session, contact_id: int, data: Mapping[str, Any], actor_id: int | None) -> Contact:
    """Raises AddressNotInRegister (nothing changed) for an address that is not a register address."""
    contact = _get(session, Contact, contact_id)
    values = _contact_values(session, data)
    values["first_name"] = values.get("first_name") or ""
    changes = _apply(contact, values)
    if "address_id" in changes:  # the trail says which addresses, not only their ids
        changes["address"] = [_address_label(session, address_id) for address_id in changes["address_id"]]
    if changes:
        audit(session, "contact", contact.id, "contact_edited", actor_id, changes=changes)
    return contact


# -- organisations ----------------------------------------------------------------------------

def _organisation_values(session: Session, data: Mapping[str, Any], exclude_id: int | None) -> dict[str, Any]:
    values = _clean(data, ORGANISATION_FIELDS)
    if values.get("enterprise_number"):
        values["enterprise_number"] = normalise(values["enterprise_number"])  # EnterpriseNumberError
        existing = organisation_by_number(session, values["enterprise_number"])
        if existing is not None and existing.id != exclude_id:
            raise DuplicateOrganisation(existing)
    return values


def organisation_by_number(session: Session, number: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.enterprise_number == number))


def _flush_organisation(session: Session, organisation: Organisation) -> None:
    """Flush; two people saving the same enterprise number at once: the second gets the duplicate."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        existing = organisation_by_number(session, organisation.enterprise_number or "")
        if existing is None:
            raise
        raise DuplicateOrganisation(existing) from None


def create_organisation(session: Session, data: Mapping[str, Any], actor_id: int | None) -> Organisation:
    """Raises EnterpriseNumberError (nothing saved) or DuplicateOrganisation."""
    values = _organisation_values(session, data, None)
    organisation = Organisation(**values, created_by_id=actor_id)
    session.add(organisation)
    _flush_organisation(session, organisation)
    audit(session, "organisation", organisation.id, "organisation_created", actor_id, name=organisation.name,
          enterprise_number=organisation.enterprise_number)
    return organisation


def update_organisation(session: Session, organisation_id: int, data: Mapping[str, Any],
                        actor_id: int | None) -> Organisation:
    organisation = _get(session, Organisation, organisation_id)
    changes = _apply(organisation, _organisation_values(session, data, organisation_id))
    _flush_organisation(session, organisation)
    if changes:
        audit(session, "organisation", organisation.id, "organisation_edited", actor_id, changes=changes)
    return organisation


# -- both -------------------------------------------------------------------------------------

def _model(kind: str) -> type[Party]:
    return {"contact": Contact, "organisation": Organisation}[kind]


def _party_column(kind: str) -> Any:
    return InvolvedParty.contact_id if kind == "contact" else InvolvedParty.organisation_id


def set_active(session: Session, kind: str, party_id: int, active: bool, actor_id: int | None) -> Party:
    """Deactivate (hidden from lists and searches, kept with its dossiers) or reactivate."""
    party = _get(session, _model(kind), party_id)
    if party.active != active:
        party.active = active
        audit(session, kind, party.id, f"{kind}_{'reactivated' if active else 'deactivated'}", actor_id)
    return party


def involvement_count(session: Session, kind: str, party_id: int) -> int:
    return session.scalar(select(func.count()).where(_party_column(kind) == party_id)) or 0


def delete_party(session: Session, kind: str, party_id: int, actor_id: int | None) -> None:
    """Delete for good. Refused (:class:`PartyInUse`) while the record is involved in a dossier:
    a deletion would silently rewrite the dossiers' history. Remove it from those dossiers, merge
    it into the record that stays, or deactivate it instead."""
    party = _get(session, _model(kind), party_id)
    count = session.scalar(select(func.count(func.distinct(InvolvedParty.dossier_id)))
                           .where(_party_column(kind) == party_id)) or 0
    if count:
        raise PartyInUse(count)
    snapshot = {name: getattr(party, name) for name in (CONTACT_FIELDS if kind == "contact" else ORGANISATION_FIELDS)}
    session.delete(party)
    audit(session, kind, party_id, f"{kind}_deleted", actor_id, record=snapshot)


def _repoint_references(session: Session, table_name: str, survivor_id: int, other_id: int) -> dict[str, int]:
    """Other areas point at contacts and organisations too (a building's co-ownership association,
    a works' contractor…): every foreign key to ``table_name`` found in the metadata, except the
    involvements moved above, is pointed at the survivor. Returns the rows moved per column."""
    moved: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if table.name == InvolvedParty.__tablename__:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name and fk.column.name == "id":
                statement = update(table).where(fk.parent == other_id).values({fk.parent.name: survivor_id})
                result = session.execute(statement)
                if result.rowcount:
                    moved[f"{table.name}.{fk.parent.name}"] = result.rowcount
    return moved


def merge(session: Session, kind: str, survivor_id: int, other_id: int, actor_id: int | None,
          *, delete_other: bool = False) -> Party:
    """Merge ``other`` into ``survivor``: its involvements move to the survivor (an involvement
    the survivor already has in the same dossier and role is not doubled; the main-contact mark is
    kept), the survivor's empty fields are filled from the other, and the other is deactivated, or
    deleted when ``delete_other``. Both records' trails say so."""
    if survivor_id == other_id:
        raise InvolvementRefused("same")
    model = _model(kind)
    survivor, other = _get(session, model, survivor_id), _get(session, model, other_id)
    column = "contact_id" if kind == "contact" else "organisation_id"
    moved = 0
    for involvement in session.scalars(select(InvolvedParty).where(_party_column(kind) == other_id)).all():
        twin = session.scalar(select(InvolvedParty).where(
            InvolvedParty.dossier_id == involvement.dossier_id, InvolvedParty.role == involvement.role,
            _party_column(kind) == survivor_id))
        if twin is None:
            setattr(involvement, column, survivor_id)
        else:
            was_main = involvement.is_main
            session.delete(involvement)
            session.flush()
            if was_main:
                twin.is_main = True
        moved += 1
    session.flush()
    repointed = _repoint_references(session, model.__tablename__, survivor_id, other_id)
    fields = CONTACT_FIELDS if kind == "contact" else ORGANISATION_FIELDS
    filled = {}
    for name in fields:
        if not getattr(survivor, name) and getattr(other, name) and name != "enterprise_number":
            filled[name] = getattr(other, name)
            setattr(survivor, name, getattr(other, name))
    if kind == "organisation" and not survivor.enterprise_number and other.enterprise_number:
        number, other.enterprise_number = other.enterprise_number, None
        session.flush()
        survivor.enterprise_number = filled["enterprise_number"] = number
    survivor.active = True
    audit(session, kind, survivor.id, f"{kind}_merged", actor_id, merged_id=other.id, merged_name=other.name,
          involvements_moved=moved, references_moved=repointed, filled=filled, other_deleted=delete_other)
    if delete_other:
        snapshot = {name: getattr(other, name) for name in fields}
        session.delete(other)
        audit(session, kind, other_id, f"{kind}_deleted", actor_id, record=snapshot, merged_into=survivor.id)
    else:
        other.active = False
        audit(session, kind, other.id, f"{kind}_merged_into", actor_id, survivor_id=survivor.id,
              survivor_name=survivor.name)
    session.flush()
    return survivor
