"""Site addresses come only from the address register; details and EPC records of an address;
a follow-up dossier shares its journey's site address."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.db import Database
from engine.parties.models import Organisation
from engine.places import addresses as register
from engine.places.models import Address, AddressDetails, DossierSite, EpcRecord
from engine.workflow.models import AuditEvent

_numbers = itertools.count(1)


def make_dossier(session: Session, journey: Dossier | None = None) -> Dossier:
    dossier = Dossier(number=f"TST-{next(_numbers):05d}", type="information", title="Roof insulation",
                      journey_id=journey.id if journey else None)
    session.add(dossier)
    session.flush()
    return dossier


def add_addresses(session: Session) -> dict[str, Address]:
    rows = {
        "bruul13": Address(register_id="1001", postcode="2800", municipality="Mechelen", street="Bruul",
                           house_number="13"),
        "bruul13_1": Address(register_id="1002", postcode="2800", municipality="Mechelen", street="Bruul",
                             house_number="13", box_number="101"),
        "bruul13_2": Address(register_id="1003", postcode="2800", municipality="Mechelen", street="Bruul",
                             house_number="13", box_number="2"),
        "bruul9": Address(register_id="1004", postcode="2800", municipality="Mechelen", street="Bruul",
                          house_number="9"),
        "befferstraat": Address(register_id="1005", postcode="2800", municipality="Mechelen", street="Befferstraat",
                                house_number="4"),
        "heffen": Address(register_id="1006", postcode="2801", municipality="Mechelen", street="Kerkstraat",
                          house_number="1"),
    }
    session.add_all(rows.values())
    session.flush()
    return rows


def test_search_steps(db: Database) -> None:
    with db.transaction() as session:
        add_addresses(session)
        assert register.municipalities(session, "2800") == ["Mechelen"]
        assert register.municipalities(session, " 28 00") == ["Mechelen"]
        assert register.municipalities(session, "9999") == []
        assert register.streets(session, "2800", "b") == ["Befferstraat", "Bruul"]
        assert register.streets(session, "2800", "BRU") == ["Bruul"]
        assert register.streets(session, "2800", "%") == []  # no wildcard
        assert register.streets(session, "2801", "") == ["Kerkstraat"]
        found = register.find_addresses(session, "2800", "bruul", "13")
        assert [a.street_line for a in found] == ["Bruul 13", "Bruul 13 bus 2", "Bruul 13 bus 101"]
        assert [a.house_number for a in register.find_addresses(session, "2800", "Bruul")] == ["9", "13", "13", "13"]


@pytest.mark.parametrize("value", ["Bruul 13, 2800 Mechelen", "", None, "12abc", "1.5", "²", "99999999999999"])
def test_free_text_or_unknown_ids_are_refused_and_nothing_is_saved(db: Database, value: object) -> None:
    with db.transaction() as session:
        add_addresses(session)
        dossier = make_dossier(session)
        dossier_id = dossier.id
    with pytest.raises(register.AddressNotInRegister), db.transaction() as session:
        register.set_site_address(session, session.get(Dossier, dossier_id), value, user_id=None)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DossierSite)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_unknown_register_id_is_refused(db: Database) -> None:
    with db.transaction() as session:
        dossier = make_dossier(session)
        with pytest.raises(register.AddressNotInRegister) as refused:
            register.set_site_address(session, dossier, "424242", user_id=None)
        assert refused.value.reason == "unknown"


def test_site_address_is_the_journeys_and_audited(db: Database) -> None:
    with db.transaction() as session:
        rows = add_addresses(session)
        root = make_dossier(session)
        follow_up = make_dossier(session, journey=root)
        register.set_site_address(session, follow_up, str(rows["bruul13_1"].id), user_id=None)
        assert register.site_address(session, root).street_line == "Bruul 13 bus 101"
        assert register.site_address(session, follow_up).id == rows["bruul13_1"].id
        register.set_site_address(session, root, rows["bruul9"].id, user_id=None)
        register.set_site_address(session, root, rows["bruul9"].id, user_id=None)  # unchanged: no event
        assert register.site_address(session, follow_up).id == rows["bruul9"].id
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        assert [(e.kind, e.subject_type, e.subject_id) for e in events] == [
            ("site_address_set", "dossier", root.id), ("site_address_set", "dossier", root.id)]
        assert events[1].detail["previous_address_id"] == rows["bruul13_1"].id


def test_details_of_an_apartment_and_a_building(db: Database) -> None:
    with db.transaction() as session:
        rows = add_addresses(session)
        dossier = make_dossier(session)
        register.save_details(session, rows["bruul13_1"], {
            "parcel_number": "12403D/00N009", "housing_type": "apartment", "construction_type": "terraced",
            "building_address_id": str(rows["bruul13"].id), "situation": "first floor, left",
        }, user_id=None, dossier_id=dossier.id)
        association = Organisation(name="VME Residentie Bruul", kind="co_ownership_association")
        session.add(association)
        session.flush()
        with pytest.raises(register.UnknownAssociation):
            register.save_details(session, rows["bruul13"], {"association_id": association.id + 1}, user_id=None)
        register.save_details(session, rows["bruul13"], {
            "housing_type": "building", "housing_units": 8, "other_units": 3, "floors": 4,
            "several_buildings": False, "typology": "closed block", "association_id": association.id,
        }, user_id=None)
        assert [o.name for o in register.associations(session)] == ["VME Residentie Bruul"]
    with db.transaction() as session:
        apartment = session.get(AddressDetails, rows["bruul13_1"].id)
        assert apartment.building_address.label == "Bruul 13, 2800 Mechelen"
        assert apartment.parcel_number == "12403D/00N009"
        building = session.get(AddressDetails, rows["bruul13"].id)
        assert (building.housing_units, building.other_units, building.floors) == (8, 3, 4)
        assert building.association.name == "VME Residentie Bruul" and building.several_buildings is False
    with pytest.raises(register.AddressNotInRegister), db.transaction() as session:
        register.save_details(session, session.get(Address, rows["bruul9"].id),
                              {"housing_type": "apartment", "building_address_id": "Bruul 13"}, user_id=None)
    with db.transaction() as session:
        assert session.get(AddressDetails, rows["bruul9"].id) is None


def test_several_epc_records_per_address(db: Database) -> None:
    with db.transaction() as session:
        rows = add_addresses(session)
        dossier = make_dossier(session)
        address = rows["bruul13"]
        first = register.add_epc(session, address, {
            "label": "D", "kind": "epc", "calculation": "real", "e_level": None, "kwh_per_m2": 412.5,
            "common_parts": True, "issued_on": dt.date(2019, 5, 2)}, user_id=None, dossier_id=dossier.id)
        register.add_epc(session, address, {
            "label": "B", "kind": "epb", "calculation": "estimated", "e_level": -20, "kwh_per_m2": 37,
            "issued_on": dt.date(2025, 1, 15)}, user_id=None, dossier_id=dossier.id)
        register.update_epc(session, first, {"label": "C"}, user_id=None, dossier_id=dossier.id)
    with db.transaction() as session:
        records = register.epc_records(session, rows["bruul13"].id)
        assert [(r.label, r.kind, r.e_level, r.kwh_per_m2, r.common_parts) for r in records] == [
            ("B", "epb", -20, 37.0, False), ("C", "epc", None, 412.5, True)]
        assert session.scalar(select(func.count()).select_from(EpcRecord)) == 2
        kinds = list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))
        assert kinds == ["epc_added", "epc_added", "epc_changed"]
