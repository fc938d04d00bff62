"""The Address tab: the site address is chosen in the register (never typed), details and EPC
records; a follow-up dossier shows its journey's address."""

from __future__ import annotations

import itertools

from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.access.models import Role
from engine.cases.models import Dossier
from engine.db import Database
from engine.parties.models import Organisation
from engine.places.models import Address, AddressDetails, DossierSite, EpcRecord
from integrations.addresses.importer import SAMPLE, import_file
from tests.webapp.support import login, page_text

_numbers = itertools.count(1)


def make_dossier(db: Database, journey_id: int | None = None) -> int:
    with db.transaction() as session:
        dossier = Dossier(number=f"ADR-{next(_numbers):05d}", type="information", title="Roof", journey_id=journey_id)
        session.add(dossier)
        session.flush()
        return dossier.id


def load_sample(db: Database) -> None:
    with db.transaction() as session:
        import_file(session, SAMPLE)


def address_id(db: Database, street: str, number: str, box: str | None = None) -> int:
    with db.transaction() as session:
        return session.scalar(select(Address.id).where(Address.street == street, Address.house_number == number,
                                                       Address.box_number.is_(None) if box is None
                                                       else Address.box_number == box))


def sites(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(DossierSite)) or 0


def test_the_search_goes_step_by_step(client: FlaskClient, make_user, db: Database) -> None:
    load_sample(db)
    dossier_id = make_dossier(db)
    login(client, make_user(Role.CASE_WORKER, locale="en"))
    url = f"/dossiers/{dossier_id}/address/search"

    step1 = page_text(client.get(url, query_string={"postcode": "2800"}))
    assert "Municipality: Mechelen" in step1
    assert "No address of the register has postcode 1000" in page_text(
        client.get(url, query_string={"postcode": "1000"}))
    step2 = client.get(url, query_string={"postcode": "2800", "street": "b"}).get_data(as_text=True)
    assert "Befferstraat" in step2 and "Bruul" in step2 and "Veemarkt" not in step2.split("street-choices")[1]
    step3 = client.get(url, query_string={"postcode": "2800", "street": "bruul", "house_number": "13"})
    text = page_text(step3)
    assert "Bruul 13, 2800 Mechelen" in text and "Bruul 13 bus 302, 2800 Mechelen" in text
    assert step3.get_data(as_text=True).count('name="address_id"') == 9


def test_json_endpoints(client: FlaskClient, make_user, db: Database) -> None:
    load_sample(db)
    login(client, make_user(Role.CASE_WORKER))
    assert client.get("/places/municipalities?postcode=2812").json == {"municipalities": ["Mechelen"]}
    assert client.get("/places/streets?postcode=2812&q=muiz").json == {"streets": ["Muizenhoekstraat"]}
    found = client.get("/places/addresses?postcode=2800&street=Bruul&house_number=13").json["addresses"]
    assert [a["box_number"] for a in found][:3] == [None, "001", "002"]


def test_picking_a_register_address_sets_the_journeys_site(client: FlaskClient, make_user, db: Database) -> None:
    load_sample(db)
    root = make_dossier(db)
    follow_up = make_dossier(db, journey_id=root)
    login(client, make_user(Role.CASE_WORKER, locale="en"))
    chosen = address_id(db, "Bruul", "13", "101")

    response = client.post(f"/dossiers/{follow_up}/address", data={"address_id": str(chosen)})

    assert response.status_code == 303
    with db.transaction() as session:
        assert session.get(DossierSite, root).address_id == chosen
    for dossier_id in (root, follow_up):
        text = page_text(client.get(f"/dossiers/{dossier_id}?tab=address"))
        assert "Bruul 13 bus 101, 2800 Mechelen" in text
    assert "Site address set to Bruul 13 bus 101, 2800 Mechelen" in page_text(client.get(f"/dossiers/{root}"))


def test_free_text_and_unknown_ids_are_refused(client: FlaskClient, make_user, db: Database) -> None:
    load_sample(db)
    dossier_id = make_dossier(db)
    login(client, make_user(Role.CASE_WORKER, locale="en"))

    typed = client.post(f"/dossiers/{dossier_id}/address", data={"address_id": "Bruul 13, 2800 Mechelen"})
    assert typed.status_code == 422
    assert "Addresses are never typed" in page_text(typed)
    unknown = client.post(f"/dossiers/{dossier_id}/address", data={"address_id": "99999999"})
    assert unknown.status_code == 422
    assert "This address is not in the address register" in page_text(unknown)
    missing = client.post(f"/dossiers/{dossier_id}/address", data={"street": "Bruul", "house_number": "13"})
    assert missing.status_code == 422
    assert sites(db) == 0


def test_managers_see_but_do_not_change(client: FlaskClient, make_user, db: Database) -> None:
    load_sample(db)
    dossier_id = make_dossier(db)
    login(client, make_user(Role.MANAGER))
    assert client.get(f"/dossiers/{dossier_id}?tab=address").status_code == 200
    assert client.post(f"/dossiers/{dossier_id}/address",
                       data={"address_id": address_id(db, "Bruul", "1")}).status_code == 403
    assert sites(db) == 0


def test_details_and_epc_records(client: FlaskClient, make_user, db: Database) -> None:
    load_sample(db)
    dossier_id = make_dossier(db)
    login(client, make_user(Role.CASE_WORKER, locale="en"))
    apartment = address_id(db, "Bruul", "13", "201")
    building = address_id(db, "Bruul", "13")
    assert client.get(f"/dossiers/{dossier_id}/address/details").status_code == 404  # no site address yet
    client.post(f"/dossiers/{dossier_id}/address", data={"address_id": apartment})

    form = client.get(f"/dossiers/{dossier_id}/address/details").get_data(as_text=True)
    assert f'<option value="{building}">Bruul 13, 2800 Mechelen</option>' in form
    bad = client.post(f"/dossiers/{dossier_id}/address/details", data={"housing_type": "castle", "floors": "-1"})
    assert bad.status_code == 422
    saved = client.post(f"/dossiers/{dossier_id}/address/details", data={
        "parcel_number": "12403D/00N009", "housing_type": "apartment", "construction_type": "terraced",
        "building_address_id": str(building), "situation": "second floor", "housing_units": "8"})
    assert saved.status_code == 303
    with db.transaction() as session:
        details = session.get(AddressDetails, apartment)
        assert (details.building_address_id, details.situation, details.housing_units) == (building, "second floor",
                                                                                         None)

    refused = client.post(f"/dossiers/{dossier_id}/address/epc/new", data={"label": "Z", "kind": "epc"})
    assert refused.status_code == 422
    added = client.post(f"/dossiers/{dossier_id}/address/epc/new", data={
        "label": "C", "kind": "epc", "calculation": "real", "e_level": "E-20", "kwh_per_m2": "37,5",
        "common_parts": "1", "issued_on": "2024-06-01"})
    assert added.status_code == 303
    with db.transaction() as session:
        record = session.scalars(select(EpcRecord)).one()
        assert (record.e_level, record.kwh_per_m2, record.common_parts) == (-20, 37.5, True)
        record_id = record.id
    client.post(f"/dossiers/{dossier_id}/address/epc/{record_id}", data={
        "label": "B", "kind": "epb", "calculation": "estimated", "issued_on": "2024-06-01"})
    client.post(f"/dossiers/{dossier_id}/address/epc/new", data={"label": "F", "kind": "epc", "calculation": "real"})
    text = page_text(client.get(f"/dossiers/{dossier_id}?tab=address"))
    assert "12403D/00N009" in text and "second floor" in text
    assert "Estimated (by the advisor)" in text
    with db.transaction() as session:
        assert sorted(session.scalars(select(EpcRecord.label))) == ["B", "F"]


def test_a_building_is_linked_to_its_co_ownership_association(client: FlaskClient, make_user, db: Database) -> None:
    load_sample(db)
    dossier_id = make_dossier(db)
    with db.transaction() as session:
        association = Organisation(name="VME Residentie Bruul 13", kind="co_ownership_association")
        session.add_all([association, Organisation(name="Dakwerken Peeters", kind="contractor")])
        session.flush()
        association_id = association.id
    login(client, make_user(Role.CASE_WORKER, locale="en"))
    client.post(f"/dossiers/{dossier_id}/address", data={"address_id": address_id(db, "Bruul", "13")})

    form = page_text(client.get(f"/dossiers/{dossier_id}/address/details"))
    assert "VME Residentie Bruul 13" in form and "Dakwerken Peeters" not in form
    unknown = client.post(f"/dossiers/{dossier_id}/address/details",
                          data={"housing_type": "building", "association_id": str(association_id + 100)})
    assert unknown.status_code == 422
    assert "Choose the association among the organisations." in page_text(unknown)
    saved = client.post(f"/dossiers/{dossier_id}/address/details", data={
        "housing_type": "building", "housing_units": "9", "other_units": "4", "floors": "4",
        "several_buildings": "no", "typology": "closed block", "association_id": str(association_id)})
    assert saved.status_code == 303
    text = page_text(client.get(f"/dossiers/{dossier_id}?tab=address"))
    assert "Co-ownership association VME Residentie Bruul 13" in text
    assert "Several buildings no" in text


def test_form_errors_are_in_the_users_language(client: FlaskClient, make_user, db: Database) -> None:
    load_sample(db)
    dossier_id = make_dossier(db)
    login(client, make_user(Role.CASE_WORKER, locale="nl"))
    client.post(f"/dossiers/{dossier_id}/address", data={"address_id": address_id(db, "Bruul", "1")})

    details = client.post(f"/dossiers/{dossier_id}/address/details", data={"housing_type": "kasteel", "floors": "999"})
    text = page_text(details)
    assert "Kies een van de voorgestelde waarden." in text and "Geef een getal tussen 0 en 300." in text
    epc = client.post(f"/dossiers/{dossier_id}/address/epc/new", data={"label": "C", "kind": "epc"})
    assert epc.status_code == 422 and "Berekeningswijze" in page_text(epc)
    typed = client.post(f"/dossiers/{dossier_id}/address", data={"address_id": "Bruul 1"})
    assert "Adressen worden nooit zelf getypt" in page_text(typed)
