"""The Works and Financing tabs of a dossier: forms, validation, grids, deletion, role checks."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.cases.models import Dossier
from engine.cases.works import Works
from engine.db import Database
from engine.parties.models import Organisation
from engine.workflow.models import AuditEvent
from tests.webapp.support import login, page_text

VALID_WORKS = {
    "work_type": "roof_insulation",
    "description": "Insulate the flat roof, 12 cm PIR",
    "building_part": "common",
    "quote_requested_on": "2026-03-02",
    "quote_received_on": "2026-03-20",
    "quote_amount": "18 500,00",
    "premium_conform": "yes",
    "rmp_advised": "1",
    "rmp_priority": "short",
}


def make_dossier(db: Database, dossier_type: str = "execution", number: str = "EXE-2026-00001") -> int:
    with db.transaction() as session:
        dossier = Dossier(number=number, type=dossier_type, title="Résidence Les Tilleuls")
        session.add(dossier)
        session.flush()
        return dossier.id


@pytest.fixture
def worker(make_user) -> User:
    return make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")


@pytest.fixture
def signed_in(client: FlaskClient, worker: User) -> FlaskClient:
    login(client, worker)
    return client


def audit_kinds(db: Database, dossier_id: int) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEvent.kind).where(
            AuditEvent.subject_type == "dossier", AuditEvent.subject_id == dossier_id).order_by(AuditEvent.id)))


def only_works(db: Database) -> Works:
    with db.transaction() as session:
        return session.scalars(select(Works)).one()


def test_add_works_then_decide_the_investment(signed_in: FlaskClient, db: Database) -> None:
    client = signed_in
    dossier_id = make_dossier(db)
    tab = client.get(f"/dossiers/{dossier_id}?tab=works")
    assert tab.status_code == 200
    assert "Works linked to the site address (advised or in study): none yet." in page_text(tab)

    form = client.get(f"/dossiers/{dossier_id}/works/new").get_data(as_text=True)
    assert '<select id="field-work_type" name="work_type" required' in form
    assert "<legend>Street furniture</legend>" in form

    response = client.post(f"/dossiers/{dossier_id}/works/new", data=VALID_WORKS)
    assert response.status_code == 302
    works = only_works(db)
    assert str(works.quote_amount) == "18500.00" and works.rmp_priority == "short" and works.rmp_advised

    tab = client.get(f"/dossiers/{dossier_id}?tab=works").get_data(as_text=True)
    advised = tab.split('id="works-advised"')[1].split("</table>")[0]
    assert "Roof insulation" in advised and "18.500,00\u00a0€" in advised and "Short term" in advised
    assert 'id="works-decided-empty"' in tab

    # Deciding the investment moves the works to the second grid.
    edit = client.get(f"/dossiers/{dossier_id}/works/{works.id}").get_data(as_text=True)
    assert 'value="2026-03-20"' in edit
    decided = {**VALID_WORKS, "investment_decided": "1", "offer_amount": "18250", "offer_approved_on": "2026-04-15",
               "environment_permit_needed": "no", "works_started_on": "2026-06-01"}
    assert client.post(f"/dossiers/{dossier_id}/works/{works.id}", data=decided).status_code == 302
    tab = client.get(f"/dossiers/{dossier_id}?tab=works").get_data(as_text=True)
    assert 'id="works-advised-empty"' in tab
    decided_grid = tab.split('id="works-decided"')[1].split("</table>")[0]
    assert "18.250,00\u00a0€" in decided_grid and "15 Apr 2026" in decided_grid
    assert only_works(db).environment_permit_needed is False
    # public lighting to remove, never asked for: the grid warns
    assert 'street-furniture-late' not in decided_grid
    client.post(f"/dossiers/{dossier_id}/works/{works.id}", data={**decided, "public_lighting_removal_needed": "1"})
    tab = client.get(f"/dossiers/{dossier_id}?tab=works")
    assert "Street furniture not asked two months before the start" in page_text(tab)

    assert audit_kinds(db, dossier_id) == ["works_added", "works_decided", "works_changed"]
    history = page_text(client.get(f"/dossiers/{dossier_id}"))
    assert "Works added" in history and "Works: investment decided" in history


def test_invalid_works_show_a_message_next_to_each_field(signed_in: FlaskClient, db: Database) -> None:
    dossier_id = make_dossier(db)
    response = signed_in.post(f"/dossiers/{dossier_id}/works/new", data={
        **VALID_WORKS,
        "quote_requested_on": "2026-03-20",
        "quote_received_on": "2026-03-02",
        "quote_amount": "a lot",
        "offer_approved_on": "2026-04-15",
        "rmp_advised": "",
        "permit_parts": "Roof",
    })
    assert response.status_code == 422
    text = page_text(response)
    assert "nothing was saved yet" in text
    assert "The quote cannot be received before it was asked" in text
    assert "Enter an amount in euros" in text
    assert "Enter the amount of the offer that was approved." in text
    assert "Only works advised in the renovation master plan have a priority" in text
    assert "Only for works that need an environment permit" in text
    html = response.get_data(as_text=True)
    assert 'id="field-quote_received_on-error"' in html and 'value="a lot"' in html
    with db.transaction() as session:
        assert session.scalars(select(Works)).all() == []


def test_deleting_works_is_audited(signed_in: FlaskClient, db: Database) -> None:
    dossier_id = make_dossier(db, "project_design", "PRJ-2026-00001")
    signed_in.post(f"/dossiers/{dossier_id}/works/new", data=VALID_WORKS)
    works_id = only_works(db).id
    other_id = make_dossier(db, "project_design", "PRJ-2026-00002")

    # works are reached only through a dossier of their journey
    assert signed_in.post(f"/dossiers/{other_id}/works/{works_id}/delete").status_code == 404

    response = signed_in.post(f"/dossiers/{dossier_id}/works/{works_id}/delete")
    assert response.status_code == 302
    with db.transaction() as session:
        assert session.scalars(select(Works)).all() == []
    assert audit_kinds(db, dossier_id) == ["works_added", "works_deleted"]


def test_works_and_financing_need_a_case_handler(client: FlaskClient, make_user, db: Database) -> None:
    dossier_id = make_dossier(db, "advice", "ADV-2026-00001")
    manager = make_user(Role.MANAGER, locale="en")
    login(client, manager)

    # a manager sees the tabs, without the buttons that change them
    tab = client.get(f"/dossiers/{dossier_id}?tab=works")
    assert tab.status_code == 200 and 'id="add-works"' not in tab.get_data(as_text=True)
    assert "financing-form" not in client.get(f"/dossiers/{dossier_id}?tab=financing").get_data(as_text=True)
    assert client.get(f"/dossiers/{dossier_id}/works/new").status_code == 403
    assert client.post(f"/dossiers/{dossier_id}/works/new", data=VALID_WORKS).status_code == 403
    assert client.post(f"/dossiers/{dossier_id}/financing", data={"total_cost": "1"}).status_code == 403


def test_the_tabs_show_on_their_dossier_types(signed_in: FlaskClient, db: Database) -> None:
    execution = make_dossier(db)
    advice = make_dossier(db, "advice", "ADV-2026-00001")
    information = make_dossier(db, "information", "INF-2026-00001")

    assert ">Works</a>" in signed_in.get(f"/dossiers/{execution}").get_data(as_text=True)
    assert ">Financing</a>" not in signed_in.get(f"/dossiers/{execution}").get_data(as_text=True)
    assert ">Financing</a>" in signed_in.get(f"/dossiers/{advice}").get_data(as_text=True)
    assert ">Works</a>" not in signed_in.get(f"/dossiers/{information}").get_data(as_text=True)
    assert signed_in.get(f"/dossiers/{information}/works/new").status_code == 404
    assert signed_in.post(f"/dossiers/{execution}/financing", data={}).status_code == 404


def test_the_financing_simulation(signed_in: FlaskClient, db: Database) -> None:
    client = signed_in
    dossier_id = make_dossier(db, "advice", "ADV-2026-00001")
    assert "No financing simulation yet." in page_text(client.get(f"/dossiers/{dossier_id}?tab=financing"))

    response = client.post(f"/dossiers/{dossier_id}/financing", data={
        "works_lots": "Roof and facade insulation; 480000\nHeat pump; 123456,78\nWindows; 0; 7500",
        "total_shares": "10000",
        "lot_shares": "48x125, 25 x 100\n10x150",
        "extra_shares": "200",
        "subsidy": "100 000",
        "remarks": "To discuss with the working group.",
    })
    assert response.status_code == 302, page_text(response)

    html = client.get(f"/dossiers/{dossier_id}?tab=financing").get_data(as_text=True)
    most_common = html.split('id="financing-most-common"')[1].split("</table>")[0]
    # 125 shares: 6000.00 + 1543.21 + 7500.00 = 15043.21; subsidy 1250.00; own 13793.21
    assert "First simulation: the most common lot (125 shares)" in most_common
    for amount in ("6.000,00", "1.543,21", "7.500,00", "15.043,21", "1.250,00", "13.793,21"):
        assert f"{amount}\u00a0€" in most_common  # en_BE: 6.000,00 €
    totals = html.split('id="financing-totals"')[1].split("</tr>")[0]
    # heat pump over the 83 lots: 123456.83; all: 1225956.83 (see tests/engine/works/test_rmp_financing.py)
    assert "123.456,83\u00a0€" in totals and "1.225.956,83\u00a0€" in totals
    assert "To discuss with the working group." in html
    # the form shows what was saved
    assert "48x125" in html and "Heat pump; 123456.78" in html
    assert audit_kinds(db, dossier_id) == ["rmp_financing_saved"]


def test_financing_input_errors(signed_in: FlaskClient, db: Database) -> None:
    dossier_id = make_dossier(db, "advice", "ADV-2026-00001")
    response = signed_in.post(f"/dossiers/{dossier_id}/financing", data={
        "total_shares": "1000", "lot_shares": "37, 37, abc"})
    assert response.status_code == 422
    text = page_text(response)
    assert "Enter the total cost, or the lots of works below." in text
    assert "“abc” is not a number of shares." in text

    response = signed_in.post(f"/dossiers/{dossier_id}/financing", data={
        "works_lots": "Roof insulation 480000", "total_shares": "1000", "lot_shares": "37, 2000"})
    text = page_text(response)
    assert "Line 1 is not understood" in text
    assert "Every lot has between 1 and 1000 shares" in text

    response = signed_in.post(f"/dossiers/{dossier_id}/financing", data={
        "total_cost": "1000", "total_shares": "1000", "lot_shares": "37", "subsidy": "1000,01"})
    assert "The subsidy cannot exceed the cost of the works." in page_text(response)
    assert audit_kinds(db, dossier_id) == []


def test_french_labels(client: FlaskClient, make_user, db: Database) -> None:
    login(client, make_user(Role.CASE_WORKER, locale="fr"))
    dossier_id = make_dossier(db, "advice", "ADV-2026-00001")
    text = page_text(client.get(f"/dossiers/{dossier_id}/works/new"))
    assert "Isolation de la toiture" in text and "Mobilier urbain" in text
    assert "Enregistrer les travaux" in text and "Annuler" in text
    assert "Financement" in page_text(client.get(f"/dossiers/{dossier_id}?tab=financing"))
    client.post(f"/dossiers/{dossier_id}/works/new", data=VALID_WORKS)
    assert "Travaux ajoutés" in page_text(client.get(f"/dossiers/{dossier_id}"))


def test_contractors_are_chosen_from_the_organisations(signed_in: FlaskClient, db: Database) -> None:
    table = Organisation.__table__
    with db.engine.begin() as conn:
        contractor_id = conn.execute(table.insert().values(name="Dakwerken Janssens", kind="contractor")
                                     ).inserted_primary_key[0]
        conn.execute(table.insert().values(name="VME Residentie Linde", kind="co_ownership_association"))
    dossier_id = make_dossier(db)

    form = signed_in.get(f"/dossiers/{dossier_id}/works/new").get_data(as_text=True)
    select_html = form.split('id="field-contractor_id"')[1].split("</select>")[0]
    assert "Dakwerken Janssens" in select_html and "VME Residentie Linde" not in select_html

    signed_in.post(f"/dossiers/{dossier_id}/works/new", data={**VALID_WORKS, "contractor_id": str(contractor_id)})
    assert only_works(db).contractor_id == contractor_id
    grid = signed_in.get(f"/dossiers/{dossier_id}?tab=works").get_data(as_text=True)
    assert "Dakwerken Janssens" in grid.split('id="works-advised"')[1]


def test_a_rough_simulation_from_a_total_cost(signed_in: FlaskClient, db: Database) -> None:
    dossier_id = make_dossier(db, "advice", "ADV-2026-00001")
    response = signed_in.post(f"/dossiers/{dossier_id}/financing", data={
        "total_cost": "250 000", "total_shares": "1000", "lot_shares": "37 37 26"})
    assert response.status_code == 302, page_text(response)

    html = signed_in.get(f"/dossiers/{dossier_id}?tab=financing").get_data(as_text=True)
    # 250000 * 37 / 1000 = 9250.00 for the most common lot (two lots of 37 shares)
    assert "9.250,00\u00a0€" in html.split('id="financing-most-common"')[1].split("</table>")[0]
    # 37 + 37 + 26 = 100 of the 1000 shares are listed
    assert 'id="financing-shares-warning"' in html
    total_cost = re.search(r'<input[^>]*name="total_cost"[^>]*>', html)
    assert total_cost and 'value="250000.00"' in total_cost.group(0)
    assert "26, 2x37" in html


def test_every_works_field_is_in_one_block_of_the_form() -> None:
    from engine.cases.works import EDITABLE_FIELDS
    from webapp.works.forms import WORKS_FIELD_GROUPS, WORKS_FORM

    grouped = [name for _label, names in WORKS_FIELD_GROUPS for name in names]
    assert sorted(grouped) == sorted(spec.name for spec in WORKS_FORM.fields()) == sorted(EDITABLE_FIELDS)
