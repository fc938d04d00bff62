"""Contacts and organisations: create, edit, deactivate, delete, merge (all audited); involvement
in dossiers with exactly one main contact; journey inheritance."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.cases.models import Dossier
from engine.parties import commands, involvement
from engine.parties.enterprise_number import EnterpriseNumberError
from engine.parties.errors import DuplicateOrganisation, InvolvementRefused, PartyInUse
from engine.parties.models import Contact, InvolvedParty, Organisation
from engine.parties.queries import dossiers_of_party, parties_of_dossier, search_contacts, search_organisations
from engine.workflow.models import AuditEvent


def _kinds(session, subject, subject_id):
    return session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_type == subject,
                                                         AuditEvent.subject_id == subject_id)
                           .order_by(AuditEvent.id)).all()


def _contact(db, **data):
    with db.transaction() as s:
        return commands.create_contact(s, {"first_name": "An", "last_name": "Peeters", **data}, None)


def _organisation(db, **data):
    with db.transaction() as s:
        return commands.create_organisation(s, {"name": "VME Dijlezicht", "kind": "co_ownership_association",
                                                **data}, None)


def test_contact_lifecycle_is_audited(db):
    contact = _contact(db, email="an@example.be")
    with db.transaction() as s:
        commands.update_contact(s, contact.id, {"first_name": "An", "last_name": "Peeters-Janssens",
                                                "email": "an@example.be"}, None)
        commands.set_active(s, "contact", contact.id, False, None)
    with db.transaction() as s:
        assert search_contacts(s, "peeters") == []
        assert [c.id for c in search_contacts(s, "peeters", include_inactive=True)] == [contact.id]
        commands.delete_party(s, "contact", contact.id, None)
    with db.transaction() as s:
        assert s.get(Contact, contact.id) is None
        assert _kinds(s, "contact", contact.id) == [
            "contact_created", "contact_edited", "contact_deactivated", "contact_deleted"]
        edit = s.scalar(select(AuditEvent).where(AuditEvent.kind == "contact_edited"))
        assert edit.detail["changes"] == {"last_name": ["Peeters", "Peeters-Janssens"]}


def test_enterprise_number_is_normalised_and_unique(db):
    organisation = _organisation(db, enterprise_number="BE 0850 412 361")
    assert organisation.enterprise_number == "0850412361"
    with pytest.raises(DuplicateOrganisation) as caught, db.transaction() as s:
        commands.create_organisation(s, {"name": "Other", "enterprise_number": "0850.412.361"}, None)
    assert caught.value.existing_id == organisation.id
    with pytest.raises(EnterpriseNumberError), db.transaction() as s:
        commands.create_organisation(s, {"name": "Wrong", "enterprise_number": "0850.412.362"}, None)
    with db.transaction() as s:
        assert s.scalars(select(Organisation.name)).all() == ["VME Dijlezicht"]
        assert [o.id for o in search_organisations(s, "0850.412")] == [organisation.id]
        assert [o.id for o in search_organisations(s, "dijle")] == [organisation.id]


def test_organisations_without_number_do_not_collide(db):
    _organisation(db, name="A")
    _organisation(db, name="B")
    with db.transaction() as s:
        assert len(s.scalars(select(Organisation)).all()) == 2


def test_similar_contacts_need_the_same_name_and_email_or_phone(db):
    existing = _contact(db, email="An@Example.be", phone="+32 15 12 34 56")
    with db.transaction() as s:
        assert commands.similar_contacts(s, {"first_name": "an", "last_name": "PEETERS", "email": "an@example.be"}) \
            == [s.get(Contact, existing.id)]
        assert commands.similar_contacts(s, {"first_name": "An", "last_name": "Peeters", "phone": "+32.15.12.34.56"})
        assert commands.similar_contacts(s, {"first_name": "An", "last_name": "Peeters", "email": "x@y.be"}) == []
        assert commands.similar_contacts(s, {"first_name": "Bo", "last_name": "Peeters",
                                             "email": "an@example.be"}) == []


def test_first_party_is_main_and_exactly_one_main_is_kept(db, make_dossier):
    dossier = make_dossier()
    an, bo = _contact(db), _contact(db, first_name="Bo")
    vme = _organisation(db)
    with db.transaction() as s:
        first = involvement.add_party(s, dossier.id, "owner_occupant", None, contact_id=an.id)
        second = involvement.add_party(s, dossier.id, "tenant", None, contact_id=bo.id)
        third = involvement.add_party(s, dossier.id, "co_ownership_association", None, organisation_id=vme.id)
        assert (first.is_main, second.is_main, third.is_main) == (True, False, False)
        involvement.set_main(s, second.id, None)
    with db.transaction() as s:
        mains = s.scalars(select(InvolvedParty.id).where(InvolvedParty.is_main.is_(True))).all()
        assert mains == [second.id]
        involvement.remove_party(s, second.id, None)
    with db.transaction() as s:
        assert s.scalars(select(InvolvedParty.id).where(InvolvedParty.is_main.is_(True))).all() == [first.id]
        assert _kinds(s, "dossier", dossier.id) == [
            "party_added", "party_added", "party_added", "main_contact_set", "party_removed", "main_contact_set"]


def test_the_database_refuses_two_main_contacts(db, make_dossier):
    dossier = make_dossier()
    an, bo = _contact(db), _contact(db, first_name="Bo")
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add_all([InvolvedParty(dossier_id=dossier.id, contact_id=an.id, role="tenant", is_main=True),
                   InvolvedParty(dossier_id=dossier.id, contact_id=bo.id, role="tenant", is_main=True)])


def test_the_database_refuses_an_involvement_with_two_parties_or_none(db, make_dossier):
    dossier = make_dossier()
    an, vme = _contact(db), _organisation(db)
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(InvolvedParty(dossier_id=dossier.id, contact_id=an.id, organisation_id=vme.id, role="other"))
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(InvolvedParty(dossier_id=dossier.id, role="other"))


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"role": "tenant"}, "no_party"),
    ({"role": "king", "contact": True}, "unknown_role"),
])
def test_refused_involvements(db, make_dossier, kwargs, code):
    dossier = make_dossier()
    an = _contact(db)
    with pytest.raises(InvolvementRefused) as caught, db.transaction() as s:
        involvement.add_party(s, dossier.id, kwargs["role"], None, contact_id=an.id if kwargs.get("contact") else None)
    assert caught.value.code == code


def test_same_party_same_role_twice_and_inactive_parties_are_refused(db, make_dossier):
    dossier = make_dossier()
    an = _contact(db)
    with db.transaction() as s:
        involvement.add_party(s, dossier.id, "tenant", None, contact_id=an.id)
    with pytest.raises(InvolvementRefused, match="already"), db.transaction() as s:
        involvement.add_party(s, dossier.id, "tenant", None, contact_id=an.id)
    with db.transaction() as s:
        involvement.add_party(s, dossier.id, "co_owner", None, contact_id=an.id)  # another role is fine
        commands.set_active(s, "contact", an.id, False, None)
    with pytest.raises(InvolvementRefused, match="inactive"), db.transaction() as s:
        involvement.add_party(s, dossier.id, "other", None, contact_id=an.id)


def test_delete_is_refused_while_involved(db, make_dossier):
    dossier = make_dossier()
    an = _contact(db)
    with db.transaction() as s:
        involvement.add_party(s, dossier.id, "tenant", None, contact_id=an.id)
    with pytest.raises(PartyInUse) as caught, db.transaction() as s:
        commands.delete_party(s, "contact", an.id, None)
    assert caught.value.dossier_count == 1


def test_merge_moves_involvements_and_keeps_the_main_mark(db, make_dossier):
    d1, d2 = make_dossier(), make_dossier()
    survivor = _contact(db, email="an@example.be")
    duplicate = _contact(db, phone="015 12 34 56", notes="prefers mornings")
    with db.transaction() as s:
        involvement.add_party(s, d1.id, "tenant", None, contact_id=survivor.id)
        involvement.add_party(s, d2.id, "tenant", None, contact_id=duplicate.id)  # main of d2
        involvement.add_party(s, d1.id, "tenant", None, contact_id=duplicate.id)  # twin in d1
        involvement.add_party(s, d1.id, "owner_landlord", None, contact_id=duplicate.id)
    with db.transaction() as s:
        commands.merge(s, "contact", survivor.id, duplicate.id, None)
    with db.transaction() as s:
        rows = s.execute(select(InvolvedParty.dossier_id, InvolvedParty.contact_id, InvolvedParty.role,
                                InvolvedParty.is_main).order_by(InvolvedParty.dossier_id, InvolvedParty.role)).all()
        assert [tuple(r) for r in rows] == [
            (d1.id, survivor.id, "owner_landlord", False), (d1.id, survivor.id, "tenant", True),
            (d2.id, survivor.id, "tenant", True)]
        merged = s.get(Contact, survivor.id)
        assert (merged.phone, merged.notes, merged.email) == ("015 12 34 56", "prefers mornings", "an@example.be")
        assert s.get(Contact, duplicate.id).active is False
        assert _kinds(s, "contact", survivor.id)[-1] == "contact_merged"
        assert _kinds(s, "contact", duplicate.id)[-1] == "contact_merged_into"


def test_merge_can_delete_the_other_and_moves_the_enterprise_number(db, make_dossier):
    dossier = make_dossier()
    survivor = _organisation(db, name="VME Dijlezicht (typed by hand)")
    other = _organisation(db, enterprise_number="0850.412.361", legal_form="Vereniging van mede-eigenaars")
    with db.transaction() as s:
        involvement.add_party(s, dossier.id, "co_ownership_association", None, organisation_id=other.id)
        commands.merge(s, "organisation", survivor.id, other.id, None, delete_other=True)
    with db.transaction() as s:
        assert s.get(Organisation, other.id) is None
        kept = s.get(Organisation, survivor.id)
        assert (kept.enterprise_number, kept.legal_form) == ("0850412361", "Vereniging van mede-eigenaars")
        assert s.scalars(select(InvolvedParty.organisation_id)).all() == [survivor.id]
        assert _kinds(s, "organisation", other.id)[-1] == "organisation_deleted"


def test_a_follow_up_dossier_shows_the_journey_parties(db, make_dossier):
    root = make_dossier()
    follow_up = make_dossier(journey_id=root.id)
    other = make_dossier()
    an, bo = _contact(db), _contact(db, first_name="Bo")
    with db.transaction() as s:
        involvement.add_party(s, root.id, "owner_occupant", None, contact_id=an.id)
        involvement.add_party(s, follow_up.id, "contractor", None, contact_id=bo.id)
    with db.transaction() as s:
        parties = parties_of_dossier(s, s.get(Dossier, follow_up.id))
        assert [p.contact_id for p in parties.own] == [bo.id]
        assert [p.contact_id for p in parties.journey] == [an.id]
        assert parties.journey_root.id == root.id
        listed = dossiers_of_party(s, contact_id=an.id)
        assert {(d.dossier.id, d.via.id if d.via else None) for d in listed} == {
            (root.id, None), (follow_up.id, root.id)}
        assert other.id not in {d.dossier.id for d in listed}




def test_merge_points_other_areas_references_at_the_survivor(db):
    from sqlalchemy import Column, ForeignKey, Integer, Table

    from engine.db import Base

    table = Table("test_party_refs", Base.metadata, Column("id", Integer, primary_key=True),
                  Column("organisation_id", ForeignKey("organisations.id")))
    table.create(db.engine, checkfirst=True)
    try:
        keep, other = _organisation(db, name="Keep"), _organisation(db, name="Other")
        with db.transaction() as s:
            s.execute(table.insert().values(id=1, organisation_id=other.id))
            commands.merge(s, "organisation", keep.id, other.id, None, delete_other=True)
        with db.transaction() as s:
            assert s.execute(select(table.c.organisation_id)).scalars().all() == [keep.id]
            event = s.scalar(select(AuditEvent).where(AuditEvent.kind == "organisation_merged"))
            assert event.detail["references_moved"] == {"test_party_refs.organisation_id": 1}
    finally:
        with db.engine.begin() as conn:
            conn.execute(table.delete())
        table.drop(db.engine)
        Base.metadata.remove(table)


# -- a contact's address: only a register address ------------------------------------------------

def _register_address(db, street="Bruul", number="13"):
    from engine.places.models import Address

    with db.transaction() as s:
        address = Address(register_id=f"test-{street}-{number}", postcode="2800", municipality="Mechelen",
                          street=street, house_number=number)
        s.add(address)
        s.flush()
        return address.id


@pytest.mark.parametrize("data, reason", [
    ({"address_id": "Bruul 13, 2800 Mechelen"}, "free_text"),
    ({"address": "Bruul 13, 2800 Mechelen"}, "free_text"),
    ({"address_id": "999999"}, "unknown"),
    ({"address_id": 2**40}, "unknown"),
])
def test_a_contact_address_that_is_not_in_the_register_is_refused(db, data, reason):
    from engine.places.addresses import AddressNotInRegister

    with pytest.raises(AddressNotInRegister) as refused, db.transaction() as s:
        commands.create_contact(s, {"last_name": "Peeters", **data}, None)
    assert refused.value.reason == reason
    contact = _contact(db)
    with pytest.raises(AddressNotInRegister), db.transaction() as s:
        commands.update_contact(s, contact.id, {"last_name": "Peeters", **data}, None)
    with db.transaction() as s:
        assert s.scalars(select(Contact.last_name)).all() == ["Peeters"]
        assert s.get(Contact, contact.id).address_id is None
        assert _kinds(s, "contact", contact.id) == ["contact_created"]


def test_a_contact_gets_a_register_address_audited_and_kept_null_when_the_register_drops_it(db):
    from engine.places.models import Address

    bruul, veemarkt = _register_address(db), _register_address(db, "Veemarkt", "1")
    contact = _contact(db, address_id=str(bruul))
    with db.transaction() as s:
        assert s.get(Contact, contact.id).address.label == "Bruul 13, 2800 Mechelen"
        created = s.scalar(select(AuditEvent).where(AuditEvent.kind == "contact_created"))
        assert (created.detail["address_id"], created.detail["address"]) == (bruul, "Bruul 13, 2800 Mechelen")
        commands.update_contact(s, contact.id, {"last_name": "Peeters", "address_id": veemarkt}, None)
    with db.transaction() as s:
        edit = s.scalar(select(AuditEvent).where(AuditEvent.kind == "contact_edited"))
        assert edit.detail["changes"]["address_id"] == [bruul, veemarkt]
        assert edit.detail["changes"]["address"] == ["Bruul 13, 2800 Mechelen", "Veemarkt 1, 2800 Mechelen"]
        commands.update_contact(s, contact.id, {"last_name": "Peeters", "address_id": None}, None)
        assert s.get(Contact, contact.id).address_id is None
        commands.update_contact(s, contact.id, {"last_name": "Peeters", "address_id": veemarkt}, None)
    with db.transaction() as s:  # ON DELETE SET NULL
        s.delete(s.get(Address, veemarkt))
    with db.transaction() as s:
        assert s.get(Contact, contact.id, populate_existing=True).address_id is None


def test_duplicates_are_found_whatever_the_address(db):
    address_id = _register_address(db)
    existing = _contact(db, email="an@example.be", address_id=address_id)
    with db.transaction() as s:
        similar = commands.similar_contacts(s, {"first_name": "An", "last_name": "Peeters", "email": "an@example.be"})
        assert [c.id for c in similar] == [existing.id]
