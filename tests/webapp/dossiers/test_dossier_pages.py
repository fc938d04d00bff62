"""The dossier pages: opening a dossier of every type, the phase bar, subtypes and their
administration, journeys with follow-up dossiers, filters, deactivation and deletion."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.cases.models import Dossier, DossierSubtype, DossierType
from engine.db import Database
from engine.workflow.models import AuditEvent, InstanceStatus, ProcessInstance
from tests.engine.cases.support import ANSWERS, ready_task
from tests.webapp.support import page_text


def _subtype_id(db: Database, dossier_type: str, code: str) -> int:
    with db.transaction() as session:
        return session.scalar(select(DossierSubtype.id).where(DossierSubtype.type == dossier_type,
                                                              DossierSubtype.code == code))


def open_dossier(client: FlaskClient, dossier_type: str, title: str = "Roof", *, subtype_id: int | None = None,
                 follow_up_of: int | None = None) -> int:
    url = f"/dossiers/{follow_up_of}/follow-up" if follow_up_of else "/dossiers/new"
    response = client.post(url, data={"dossier_type": dossier_type, "title": title, "source": "phone",
                                      "subtype_id": str(subtype_id or "")})
    assert response.status_code == 302, page_text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _dossier(db: Database, dossier_id: int) -> Dossier | None:
    with db.transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        if dossier is not None:
            session.expunge(dossier)
        return dossier


@pytest.mark.parametrize("dossier_type", list(DossierType), ids=lambda t: t.value)
def test_a_dossier_of_every_type_opens_in_its_first_phase(as_worker: FlaskClient, dossier_type: DossierType) -> None:
    dossier_id = open_dossier(as_worker, dossier_type.value, "A question")
    text = page_text(as_worker.get(f"/dossiers/{dossier_id}"))
    assert "Source of the request Telephone" in text
    first = "10. Submitted" if dossier_type == DossierType.PREMIUMS else "Request"
    assert f"Phase {first}" in text
    assert re.search(rf"{first} \(current\) \w", text), text  # the current phase shows its date


def test_the_new_page_offers_only_active_subtypes_of_the_type(as_worker: FlaskClient, db: Database) -> None:
    html = as_worker.get("/dossiers/new?type=loan").get_data(as_text=True)
    assert "Prêt à 0 %" in html or "0 % loan" in html
    assert "Green roof" not in html


def test_the_phase_bar_marks_done_current_and_to_come_with_dates(as_worker: FlaskClient, db: Database,
                                                                 services) -> None:
    dossier_id = open_dossier(as_worker, "loan", "Loan")
    with db.transaction() as session:
        instance_id = session.get(Dossier, dossier_id).process_instance_id
        task_id = ready_task(session, instance_id).id
    response = as_worker.post(f"/tasks/{task_id}", data=ANSWERS["loan.request"])
    assert response.status_code in (302, 303), page_text(response)
    html = as_worker.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    bar = html[html.index('id="dossier-phases"'):html.index("</ol>", html.index('id="dossier-phases"'))]
    assert bar.count("phase--done") == 1 and bar.count("phase--current") == 1 and bar.count("phase--todo") == 5
    assert bar.count("<time") == 2


def test_a_deactivated_subtype_cannot_be_chosen_but_stays_on_old_dossiers(
        as_worker: FlaskClient, as_admin: FlaskClient, db: Database) -> None:
    subtype_id = _subtype_id(db, "premiums", "green_roof")
    old_id = open_dossier(as_worker, "premiums", "Green roof at home", subtype_id=subtype_id)
    assert as_admin.post(f"/dossiers/subtypes/{subtype_id}/active", data={"active": "0"}).status_code == 302

    refused = as_worker.post("/dossiers/new", data={"dossier_type": "premiums", "title": "Another roof",
                                                    "subtype_id": str(subtype_id)})
    assert refused.status_code == 422
    assert "Choose an active subtype" in page_text(refused)
    assert "Green roof" not in as_worker.get("/dossiers/new?type=premiums").get_data(as_text=True)
    assert "Subtype Green roof" in page_text(as_worker.get(f"/dossiers/{old_id}"))

    assert as_admin.post(f"/dossiers/subtypes/{subtype_id}/active", data={"active": "1"}).status_code == 302
    open_dossier(as_worker, "premiums", "Another roof", subtype_id=subtype_id)


def test_a_subtype_of_another_type_is_refused(as_worker: FlaskClient, db: Database) -> None:
    response = as_worker.post("/dossiers/new", data={"dossier_type": "loan", "title": "Loan",
                                                     "subtype_id": str(_subtype_id(db, "premiums", "green_roof"))})
    assert response.status_code == 422


def test_administrators_manage_subtypes(as_admin: FlaskClient, as_worker: FlaskClient, db: Database) -> None:
    assert as_worker.get("/dossiers/subtypes/").status_code == 403
    assert as_worker.post("/dossiers/subtypes/", data={"dossier_type": "advice", "name_fr": "X"}).status_code == 403
    page = page_text(as_admin.get("/dossiers/subtypes/"))
    assert "Adoption d'un jardin de rue" in page and "Mon prêt rénovation" in page
    response = as_admin.post("/dossiers/subtypes/", data={
        "dossier_type": "advice", "name_fr": "Conseils en matière de pompes à chaleur",
        "name_nl": "Warmtepompadvies", "name_en": "Heat pump advice", "journey_stage": "advice"})
    assert response.status_code == 302
    assert as_admin.post("/dossiers/subtypes/", data={"dossier_type": "advice", "name_fr": ""}).status_code == 422
    subtype_id = _subtype_id(db, "advice", "conseils_en_matiere_de_pompes_a_chaleur")
    response = as_admin.post(f"/dossiers/subtypes/{subtype_id}", data={
        "name_fr": "Conseil pompe à chaleur", "name_nl": "Warmtepompadvies", "name_en": "Heat pump advice"})
    assert response.status_code == 302
    with db.transaction() as session:
        subtype = session.get(DossierSubtype, subtype_id)
        assert (subtype.name_fr, subtype.journey_stage, subtype.active) == ("Conseil pompe à chaleur", None, True)


def test_a_follow_up_joins_the_journey(as_worker: FlaskClient, db: Database) -> None:
    root_id = open_dossier(as_worker, "information", "Roof")
    page = as_worker.get(f"/dossiers/{root_id}/follow-up")
    assert page.status_code == 200 and "joins the customer journey" in page_text(page)
    narrowed = as_worker.post(f"/dossiers/{root_id}/follow-up", data={"dossier_type": "advice", "refresh": "1"})
    assert narrowed.status_code == 200
    assert "Renovation master plan" in page_text(narrowed) and "Green roof" not in page_text(narrowed)
    advice_id = open_dossier(as_worker, "advice", "Advice at home", follow_up_of=root_id,
                             subtype_id=_subtype_id(db, "advice", "renovation_advice"))
    loan_id = open_dossier(as_worker, "loan", "Loan", follow_up_of=advice_id)
    root, advice, loan = _dossier(db, root_id), _dossier(db, advice_id), _dossier(db, loan_id)
    assert (advice.number, loan.number) == (f"{root.number}/2", f"{root.number}/3")
    assert advice.journey_id == loan.journey_id == root.id
    assert advice.journey_root_id == root.id

    tab = page_text(as_worker.get(f"/dossiers/{loan_id}?tab=journey"))
    assert f"First dossier of the journey: {root.number}" in tab
    for number in (root.number, advice.number, loan.number):
        assert number in tab
    # By stage, in the order of the journey.
    assert tab.index("Information") < tab.index("Advice at home") < tab.index("Project design")
    assert "Renovation advice" in tab


def test_the_list_filters_by_type_subtype_phase_and_status(as_worker: FlaskClient, db: Database) -> None:
    subtype_id = _subtype_id(db, "loan", "loan_0")
    loan_id = open_dossier(as_worker, "loan", "Zero loan", subtype_id=subtype_id)
    open_dossier(as_worker, "advice", "Some advice")
    loan_number = _dossier(db, loan_id).number

    def listed(query: str) -> str:
        return page_text(as_worker.get(f"/dossiers/?{query}"))

    assert "Zero loan" in listed("type=loan") and "Some advice" not in listed("type=loan")
    assert "Zero loan" in listed(f"subtype={subtype_id}") and "Some advice" not in listed(f"subtype={subtype_id}")
    assert "Zero loan" in listed("phase=request") and "Some advice" in listed("phase=request")
    assert "No dossier matches these filters." in listed("phase=analysis")
    assert loan_number in listed("status=waiting")
    assert "No dossier matches these filters." in listed(f"status={InstanceStatus.COMPLETED}")


def test_deactivating_hides_the_dossier_from_the_default_list(as_worker: FlaskClient, db: Database) -> None:
    dossier_id = open_dossier(as_worker, "information", "Hidden question")
    assert as_worker.post(f"/dossiers/{dossier_id}/deactivate").status_code == 302
    assert "Hidden question" not in page_text(as_worker.get("/dossiers/"))
    assert "Hidden question" in page_text(as_worker.get("/dossiers/?inactive=1"))
    assert "Visibility deactivated" in page_text(as_worker.get(f"/dossiers/{dossier_id}"))
    with db.transaction() as session:
        kinds = set(session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_type == "dossier",
                                                                   AuditEvent.subject_id == dossier_id)))
    assert "dossier_deactivated" in kinds
    assert "Dossier deactivated: hidden from the lists" in page_text(as_worker.get(f"/dossiers/{dossier_id}"))
    assert as_worker.post(f"/dossiers/{dossier_id}/reactivate").status_code == 302
    assert "Hidden question" in page_text(as_worker.get("/dossiers/"))


def test_only_an_administrator_deletes_a_dossier(as_worker: FlaskClient, as_admin: FlaskClient,
                                                 db: Database) -> None:
    dossier_id = open_dossier(as_worker, "advice", "To delete")
    instance_id = _dossier(db, dossier_id).process_instance_id
    assert as_worker.get(f"/dossiers/{dossier_id}/delete").status_code == 403
    assert as_worker.post(f"/dossiers/{dossier_id}/delete").status_code == 403
    page = as_worker.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert f'href="/dossiers/{dossier_id}/delete"' not in page
    assert _dossier(db, dossier_id) is not None

    assert as_admin.get(f"/dossiers/{dossier_id}/delete").status_code == 200
    response = as_admin.post(f"/dossiers/{dossier_id}/delete")
    assert response.status_code == 302
    assert _dossier(db, dossier_id) is None
    assert as_admin.get(f"/dossiers/{dossier_id}").status_code == 404
    with db.transaction() as session:
        assert session.get(ProcessInstance, instance_id).status == InstanceStatus.TERMINATED
        event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "dossier_deleted"))
        assert (event.subject_id, event.actor_id is not None) == (dossier_id, True)


def test_the_first_dossier_of_a_journey_with_follow_ups_is_not_deleted(as_worker: FlaskClient,
                                                                       as_admin: FlaskClient, db: Database) -> None:
    root_id = open_dossier(as_worker, "information", "Roof")
    open_dossier(as_worker, "advice", "Advice", follow_up_of=root_id)
    response = as_admin.post(f"/dossiers/{root_id}/delete", follow_redirects=True)
    assert "follow-up dossiers: delete those first" in page_text(response)
    assert _dossier(db, root_id) is not None


def test_the_advice_forms_through_the_task_pages(as_worker: FlaskClient, db: Database, worker) -> None:
    dossier_id = open_dossier(as_worker, "advice", "Advice")
    with db.transaction() as session:
        instance_id = session.get(Dossier, dossier_id).process_instance_id
        task_id = ready_task(session, instance_id).id
    page = page_text(as_worker.get(f"/tasks/{task_id}"))
    assert "Renovation coach (e-mail)" in page
    refused = as_worker.post(f"/tasks/{task_id}", data={"request_date": "2026-04-01"})
    assert refused.status_code == 422
    answers = {**ANSWERS["advice.request"], "coach_email": worker.email}
    assert as_worker.post(f"/tasks/{task_id}", data=answers).status_code in (302, 303)
    with db.transaction() as session:
        task = ready_task(session, instance_id)
        assert (task.bpmn_id, task.assignee_id) == ("prepare_advice", worker.id)
    page = page_text(as_worker.get(f"/tasks/{task.id}"))
    assert "Works already done at the site address" in page and "Works decided at the site address" in page
    response = as_worker.post(f"/tasks/{task.id}", data={
        "visit_date": "2026-04-10", "works_done": ["glazing", "roof_insulation"], "works_decided": ["heat_pump"]})
    assert response.status_code in (302, 303), page_text(response)
    assert "Phase Advice" in page_text(as_worker.get(f"/dossiers/{dossier_id}"))
