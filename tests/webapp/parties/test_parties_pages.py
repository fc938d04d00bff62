"""The contact and organisation pages, the BCE page flow, duplicates, merge, delete rights, and
the dossier tab "Contacts" (with a journey's parties)."""

from __future__ import annotations

import itertools

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role
from engine.cases.models import Dossier
from engine.db import Database
from engine.parties import commands, involvement
from engine.parties.models import Contact, InvolvedParty, Organisation
from engine.workflow.models import AuditEvent
from integrations import bce
from tests.webapp.support import login, page_text

_numbers = itertools.count(1)


def make_dossier(db: Database, journey_id: int | None = None) -> Dossier:
    with db.transaction() as session:
        dossier = Dossier(number=f"INF-2026-{next(_numbers):05d}", type="information",
                          title="Dakisolatie", journey_id=journey_id)
        session.add(dossier)
        session.flush()
        return dossier


def make_contact(db: Database, **data) -> Contact:
    with db.transaction() as session:
        return commands.create_contact(session, {"first_name": "An", "last_name": "Peeters", **data}, None)


@pytest.fixture
def worker(make_user):
    return make_user(Role.CASE_WORKER, locale="en")


@pytest.fixture
def signed_in(client: FlaskClient, worker) -> FlaskClient:
    login(client, worker)
    return client


@pytest.fixture
def sample(db: Database) -> None:
    with db.transaction() as session:
        bce.load_sample(session)


def test_create_search_edit_and_deactivate_a_contact(signed_in, db):
    response = signed_in.post("/contacts/new", data={"first_name": "An", "last_name": "Peeters",
                                                     "email": "an@example.be", "language": "nl"})
    assert response.status_code == 302
    with db.transaction() as s:
        contact = s.scalars(select(Contact)).one()
    assert "An Peeters" in page_text(signed_in.get("/contacts/?q=peet"))
    response = signed_in.post(f"/contacts/{contact.id}/edit", data={"first_name": "An", "last_name": "Peeters",
                                                                    "phone": "015 12 34 56"})
    assert response.status_code == 302
    with db.transaction() as s:
        edited = s.get(Contact, contact.id)
        assert (edited.email, edited.phone) == (None, "015 12 34 56")  # an emptied field is cleared
    signed_in.post(f"/contacts/{contact.id}/deactivate")
    assert 'id="party-list"' not in signed_in.get("/contacts/").get_data(as_text=True)
    assert "An Peeters" in page_text(signed_in.get("/contacts/?inactive=1"))
    page = page_text(signed_in.get(f"/contacts/{contact.id}"))
    assert "deactivated" in page and "Created" in page and "Edited" in page


def test_a_missing_last_name_is_shown_and_nothing_saved(signed_in, db):
    response = signed_in.post("/contacts/new", data={"first_name": "An"})
    assert response.status_code == 422
    assert "This field is required." in page_text(response)
    with db.transaction() as s:
        assert s.scalars(select(Contact)).all() == []


def test_a_similar_contact_is_flagged_and_can_be_created_anyway(signed_in, db):
    existing = make_contact(db, email="an@example.be")
    data = {"first_name": "an", "last_name": "peeters", "email": "AN@example.be"}
    response = signed_in.post("/contacts/new", data=data)
    assert response.status_code == 409
    assert f'href="/contacts/{existing.id}"' in response.get_data(as_text=True)
    assert "create anyway" in page_text(response)
    assert signed_in.post("/contacts/new", data={**data, "confirm": "1"}).status_code == 302
    with db.transaction() as s:
        assert len(s.scalars(select(Contact)).all()) == 2


def test_a_wrong_enterprise_number_gets_the_seed_message_in_each_language(client, make_user, db):
    for locale, expected in [
        ("en", "This enterprise number is not correct (format: 0123.456.789). Add a 0 at the start if needed."),
        ("fr", "Le numéro d'entreprise n'est pas correct (format : 0123.456.789). Ajoutez un 0 au début si "
               "nécessaire."),
        ("nl", "Dit ondernemingsnummer is niet correct (formaat: 0123.456.789). Voeg zo nodig vooraan een 0 toe."),
    ]:
        login(client, make_user(Role.CASE_WORKER, locale=locale))
        response = client.post("/organisations/new", data={"name": "VME X", "kind": "co_ownership_association",
                                                           "enterprise_number": "0850.412.362"})
        assert response.status_code == 422
        assert expected in page_text(response)
        client.post("/logout")
    with db.transaction() as s:
        assert s.scalars(select(Organisation)).all() == []


def test_a_nine_digit_number_is_refused_with_the_padded_suggestion(signed_in):
    response = signed_in.post("/organisations/from-number", data={"number": "850.412.361"})
    assert response.status_code == 422
    assert "did you mean 0850.412.361?" in page_text(response)


def test_an_organisation_from_its_enterprise_number(signed_in, db, sample):
    response = signed_in.post("/organisations/from-number", data={"number": "BE0850412361"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="VME Residentie Dijlezicht"' in html
    assert 'value="Vereniging van mede-eigenaars"' in html
    assert 'value="Haverwerf"' in html and 'value="2800"' in html
    assert 'value="co_ownership_association" selected' in html
    response = signed_in.post("/organisations/new", data={
        "name": "VME Residentie Dijlezicht", "kind": "co_ownership_association", "enterprise_number": "0850.412.361",
        "legal_form": "Vereniging van mede-eigenaars", "street": "Haverwerf", "house_number": "12",
        "postcode": "2800", "municipality": "Mechelen"})
    assert response.status_code == 302
    with db.transaction() as s:
        organisation = s.scalars(select(Organisation)).one()
        assert organisation.enterprise_number == "0850412361"
    # the same number again: straight to the existing organisation
    again = signed_in.post("/organisations/from-number", data={"number": "0850 412 361"})
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/organisations/{organisation.id}")
    page = page_text(signed_in.get(again.headers["Location"]))
    assert "0850.412.361" in page and "Haverwerf 12, 2800 Mechelen" in page


def test_an_unknown_valid_number_can_be_filled_in_by_hand(signed_in, sample):
    response = signed_in.post("/organisations/from-number", data={"number": "0202.239.951"})
    assert response.status_code == 200
    assert "correct but unknown in the BCE" in page_text(response)
    assert 'value="0202.239.951"' in response.get_data(as_text=True)


def test_a_second_organisation_with_the_same_number_is_refused_with_a_link(signed_in, db):
    with db.transaction() as s:
        existing = commands.create_organisation(s, {"name": "ACP Les Tilleuls", "enterprise_number": "0885223087"},
                                                None)
    response = signed_in.post("/organisations/new", data={"name": "Tilleuls", "kind": "other",
                                                          "enterprise_number": "0885.223.087"})
    assert response.status_code == 409
    assert f'href="/organisations/{existing.id}"' in response.get_data(as_text=True)
    with db.transaction() as s:
        assert len(s.scalars(select(Organisation)).all()) == 1


def test_only_an_administrator_deletes_and_not_while_involved(client, make_user, db):
    contact = make_contact(db)
    dossier = make_dossier(db)
    login(client, make_user(Role.CASE_WORKER))
    assert client.post(f"/contacts/{contact.id}/delete").status_code == 403
    client.post("/logout")
    login(client, make_user(Role.MANAGER))
    assert client.post(f"/contacts/{contact.id}/delete").status_code == 403
    assert client.post("/contacts/new", data={"last_name": "X"}).status_code == 403  # managers only read
    client.post("/logout")
    login(client, make_user(Role.ADMINISTRATOR, locale="en"))
    with db.transaction() as s:
        involvement.add_party(s, dossier.id, "tenant", None, contact_id=contact.id)
    response = client.post(f"/contacts/{contact.id}/delete", follow_redirects=True)
    assert "cannot be deleted" in page_text(response)
    with db.transaction() as s:
        assert s.get(Contact, contact.id) is not None
        involvement.remove_party(s, s.scalars(select(InvolvedParty.id)).one(), None)
    assert client.post(f"/contacts/{contact.id}/delete").status_code == 302
    with db.transaction() as s:
        assert s.get(Contact, contact.id) is None
        kinds = s.scalars(select(AuditEvent.kind).where(AuditEvent.subject_type == "contact")
                          .order_by(AuditEvent.id)).all()
        assert kinds[-1] == "contact_deleted"


def test_merge_from_the_page(signed_in, db):
    dossier = make_dossier(db)
    keep, duplicate = make_contact(db, email="an@example.be"), make_contact(db, phone="0470 11 22 33")
    with db.transaction() as s:
        involvement.add_party(s, dossier.id, "owner_occupant", None, contact_id=duplicate.id)
    search = signed_in.get(f"/contacts/{keep.id}/merge?q=peeters")
    assert f'name="other_id" value="{duplicate.id}"' in search.get_data(as_text=True)
    assert 'value="delete"' not in search.get_data(as_text=True)  # deleting is for administrators
    response = signed_in.post(f"/contacts/{keep.id}/merge", data={"other_id": duplicate.id, "survivor": "this"})
    assert response.status_code == 302
    with db.transaction() as s:
        assert s.scalars(select(InvolvedParty.contact_id)).all() == [keep.id]
        assert s.get(Contact, duplicate.id).active is False
        assert s.get(Contact, keep.id).phone == "0470 11 22 33"
    assert signed_in.post(f"/contacts/{keep.id}/merge", data={"other_id": duplicate.id, "then": "delete"}) \
        .status_code == 403


def test_dossier_tab_adds_a_party_sets_the_main_contact_and_removes(signed_in, db):
    dossier = make_dossier(db)
    an, bo = make_contact(db, email="an@example.be"), make_contact(db, first_name="Bo")
    tab = f"/dossiers/{dossier.id}?tab=contacts"
    assert "No party is involved" in page_text(signed_in.get(tab))
    found = signed_in.get(f"{tab}&party_kind=contact&party_q=an%40example")
    assert f'name="contact_id" value="{an.id}"' in found.get_data(as_text=True)
    signed_in.post(f"/dossiers/{dossier.id}/parties", data={"contact_id": an.id, "role": "owner_occupant"})
    signed_in.post(f"/dossiers/{dossier.id}/parties", data={"contact_id": bo.id, "role": "tenant"})
    refused = signed_in.post(f"/dossiers/{dossier.id}/parties", data={"contact_id": bo.id, "role": "tenant"},
                             follow_redirects=True)
    assert "already involved" in page_text(refused)
    with db.transaction() as s:
        rows = {r.contact_id: r for r in s.scalars(select(InvolvedParty))}
    assert rows[an.id].is_main and not rows[bo.id].is_main
    signed_in.post(f"/dossiers/{dossier.id}/parties/{rows[bo.id].id}/main")
    with db.transaction() as s:
        assert s.scalars(select(InvolvedParty.contact_id).where(InvolvedParty.is_main.is_(True))).all() == [bo.id]
    page = page_text(signed_in.get(tab))
    assert "An Peeters Owner-occupant" in page and "Bo Peeters Tenant" in page and "Main contact" in page
    signed_in.post(f"/dossiers/{dossier.id}/parties/{rows[bo.id].id}/remove")
    with db.transaction() as s:
        assert s.scalars(select(InvolvedParty.contact_id).where(InvolvedParty.is_main.is_(True))).all() == [an.id]
    other = make_dossier(db)
    assert signed_in.post(f"/dossiers/{other.id}/parties/{rows[an.id].id}/remove").status_code == 404


def test_a_contact_created_from_the_tab_is_involved(signed_in, db):
    dossier = make_dossier(db)
    form = signed_in.get(f"/contacts/new?dossier={dossier.id}&role=tenant")
    assert f'name="dossier" value="{dossier.id}"' in form.get_data(as_text=True)
    response = signed_in.post("/contacts/new", data={"last_name": "Janssens", "dossier": dossier.id, "role": "tenant"})
    assert response.headers["Location"].endswith(f"/dossiers/{dossier.id}?tab=contacts")
    with db.transaction() as s:
        row = s.scalars(select(InvolvedParty)).one()
        assert (row.dossier_id, row.role, row.is_main) == (dossier.id, "tenant", True)


def test_managers_see_the_tab_but_cannot_change_it(client, make_user, db):
    dossier = make_dossier(db)
    contact = make_contact(db)
    login(client, make_user(Role.MANAGER))
    assert client.get(f"/dossiers/{dossier.id}?tab=contacts").status_code == 200
    assert client.post(f"/dossiers/{dossier.id}/parties", data={"contact_id": contact.id, "role": "tenant"}) \
        .status_code == 403


def test_a_follow_up_dossier_shows_the_journey_contacts(signed_in, db):
    root = make_dossier(db)
    follow_up = make_dossier(db, journey_id=root.id)
    contact = make_contact(db)
    with db.transaction() as s:
        involvement.add_party(s, root.id, "owner_occupant", None, contact_id=contact.id)
    page = page_text(signed_in.get(f"/dossiers/{follow_up.id}?tab=contacts"))
    assert f"Parties of the journey (dossier {root.number})" in page
    assert "An Peeters Owner-occupant" in page
    contact_page = page_text(signed_in.get(f"/contacts/{contact.id}"))
    assert root.number in contact_page and follow_up.number in contact_page
    assert f"through the journey of {root.number}" in contact_page


def test_the_cli_loads_the_bce_sample(app, db):
    result = app.test_cli_runner().invoke(args=["parties", "load-bce-sample"])
    assert result.exit_code == 0, result.output
    assert "16 enterprises loaded" in result.output
    assert bce.LocalDatabaseLookup(db).lookup("0550.773.027").name == "Dakwerken Verlinden"


def test_the_dossier_history_tells_who_was_involved(signed_in, db):
    dossier = make_dossier(db)
    contact = make_contact(db)
    signed_in.post(f"/dossiers/{dossier.id}/parties", data={"contact_id": contact.id, "role": "tenant"})
    page = page_text(signed_in.get(f"/dossiers/{dossier.id}"))
    assert "An Peeters is involved in the dossier" in page and "Main contact: An Peeters" not in page


# -- a contact's address: chosen in the address register ----------------------------------------

def _register(db: Database) -> None:
    from integrations.addresses.importer import SAMPLE, import_file

    with db.transaction() as session:
        import_file(session, SAMPLE)


def _address_id(db: Database, street: str, number: str, box: str | None = None) -> int:
    from engine.places.models import Address

    with db.transaction() as session:
        return session.scalar(select(Address.id).where(Address.street == street, Address.house_number == number,
                                                       Address.box_number.is_(None) if box is None
                                                       else Address.box_number == box))


def test_the_contact_form_searches_the_register_without_javascript(signed_in, db):
    _register(db)
    form = signed_in.get("/contacts/new").get_data(as_text=True)
    assert "data-address-search" in form and 'name="postcode"' in form and "address-search.js" in form
    assert 'name="address"' not in form  # no free-text address any more
    typed = {"first_name": "An", "last_name": "Peeters", "email": "an@example.be"}
    step = signed_in.post("/contacts/new", data={**typed, "postcode": "2800", "street": "b", "address_search": "1"})
    assert step.status_code == 200 and 'name="street_choice" value="Bruul"' in step.get_data(as_text=True)
    assert 'value="an@example.be"' in step.get_data(as_text=True)  # what was typed stays
    step = signed_in.post("/contacts/new", data={**typed, "postcode": "2800", "street_choice": "Bruul",
                                                 "house_number": "13"})
    html = step.get_data(as_text=True)
    assert html.count('name="address_id"') == 10  # "no address" + the 9 addresses of Bruul 13
    assert "Bruul 13 bus 302, 2800 Mechelen" in page_text(step)
    with db.transaction() as s:
        assert s.scalars(select(Contact)).all() == []  # searching saves nothing


def test_a_valid_register_address_is_saved_and_shown(signed_in, db):
    _register(db)
    address_id = _address_id(db, "Bruul", "13", "302")
    response = signed_in.post("/contacts/new", data={"first_name": "An", "last_name": "Peeters",
                                                     "address_id": str(address_id)})
    assert response.status_code == 302
    with db.transaction() as s:
        contact = s.scalars(select(Contact)).one()
        assert contact.address_id == address_id
        created = s.scalar(select(AuditEvent).where(AuditEvent.kind == "contact_created"))
        assert created.detail["address"] == "Bruul 13 bus 302, 2800 Mechelen"
    assert "Bruul 13 bus 302, 2800 Mechelen" in page_text(signed_in.get(f"/contacts/{contact.id}"))
    edit = signed_in.get(f"/contacts/{contact.id}/edit").get_data(as_text=True)
    assert f'name="address_id" value="{address_id}" checked' in edit
    dossier = make_dossier(db)
    signed_in.post(f"/dossiers/{dossier.id}/parties", data={"contact_id": contact.id, "role": "owner_occupant"})
    assert "Bruul 13 bus 302, 2800 Mechelen" in page_text(signed_in.get(f"/dossiers/{dossier.id}?tab=contacts"))
    # changed, then removed: audited
    other = _address_id(db, "Bruul", "13")
    assert signed_in.post(f"/contacts/{contact.id}/edit", data={"first_name": "An", "last_name": "Peeters",
                                                                "address_id": str(other)}).status_code == 302
    assert signed_in.post(f"/contacts/{contact.id}/edit", data={"first_name": "An", "last_name": "Peeters",
                                                                "address_id": ""}).status_code == 302
    with db.transaction() as s:
        assert s.get(Contact, contact.id).address_id is None
        edits = s.scalars(select(AuditEvent).where(AuditEvent.kind == "contact_edited")
                          .order_by(AuditEvent.id)).all()
        assert [e.detail["changes"]["address_id"] for e in edits] == [[address_id, other], [other, None]]


@pytest.mark.parametrize("data, message", [
    ({"address_id": "Bruul 13, 2800 Mechelen"}, "Addresses are never typed: search for the address in the register"),
    ({"address": "Bruul 13, 2800 Mechelen"}, "Addresses are never typed: search for the address in the register"),
    ({"address_id": "987654"}, "This address is not in the address register. Search for it and pick it in the list."),
])
def test_a_typed_address_or_an_unknown_id_is_refused_with_the_site_address_message(signed_in, db, data, message):
    _register(db)
    response = signed_in.post("/contacts/new", data={"first_name": "An", "last_name": "Peeters", **data})
    assert response.status_code == 422
    assert message in page_text(response)
    assert 'value="Peeters"' in response.get_data(as_text=True)
    with db.transaction() as s:
        assert s.scalars(select(Contact)).all() == []
    contact = make_contact(db)
    response = signed_in.post(f"/contacts/{contact.id}/edit", data={"first_name": "An", "last_name": "Peeters-X",
                                                                   **data})
    assert response.status_code == 422 and message in page_text(response)
    with db.transaction() as s:
        assert (s.get(Contact, contact.id).last_name, s.get(Contact, contact.id).address_id) == ("Peeters", None)


def test_the_refusal_is_in_the_readers_language(client, make_user, db):
    login(client, make_user(Role.CASE_WORKER, locale="nl"))
    response = client.post("/contacts/new", data={"last_name": "Peeters", "address_id": "Bruul 13"})
    assert response.status_code == 422
    assert "Addresses are never typed" not in page_text(response)


def test_a_similar_contact_is_still_flagged_with_an_address(signed_in, db):
    _register(db)
    address_id = _address_id(db, "Bruul", "13")
    existing = make_contact(db, email="an@example.be")
    data = {"first_name": "An", "last_name": "Peeters", "email": "an@example.be", "address_id": str(address_id)}
    response = signed_in.post("/contacts/new", data=data)
    assert response.status_code == 409 and f'href="/contacts/{existing.id}"' in response.get_data(as_text=True)
    assert f'name="address_id" value="{address_id}" checked' in response.get_data(as_text=True)
    assert signed_in.post("/contacts/new", data={**data, "confirm": "1"}).status_code == 302
    with db.transaction() as s:
        assert sorted(c.address_id or 0 for c in s.scalars(select(Contact))) == [0, address_id]
