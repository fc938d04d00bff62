"""The RMP subtypes through the web pages: the four predefined tasks of an "Interest in the
renovation master plan" dossier, and the RMP tabs of an Advice dossier "Renovation master plan"
(forms, validation, computed own contribution, history, roles)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.cases.models import Dossier
from engine.cases.rmp import rmp_record_of
from engine.db import Database
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState
from tests.engine.rmp.support import subtype_id
from tests.webapp.support import page_text

PREDEFINED_NAMES = [
    "Preliminary meeting with the syndic",
    "Preliminary meeting with the co-owners' association or working group",
    "Delivery of the RMP documents",
    "Information session for the co-owners' association",
]

APPLICATION = {
    "association_name": "VME Residentie De Linde",
    "association_enterprise_number": "0123.456.789",
    "syndic_name": "Syndicus Janssens",
    "building_units": "24",
    "building_year": "1972",
    "ga_decision_on": "2026-03-10",
    "application_submitted_on": "2026-03-20",
    "support_actions": ["building_plans", "energy_consumption"],
    "energy_data_requested_on": "2026-03-12",
    "quotes_received_on": "2026-04-15",
    "quotes_count": "3",
    "awarded_to": "Studiebureau Zuid",
    "awarded_on": "2026-04-30",
    "awarded_amount": "24 000,00",
    "veka_subsidy": "18000",
    "contract_received": "1",
    "contract_received_on": "2026-05-10",
}


def open_dossier_page(client: FlaskClient, db: Database, dossier_type: str, code: str | None,
                      title: str = "Résidence De Linde") -> int:
    with db.transaction() as session:
        sid = subtype_id(session, dossier_type, code) if code else None
    response = client.post("/dossiers/new", data={"dossier_type": dossier_type, "subtype_id": str(sid or ""),
                                                  "title": title, "source": "email"})
    assert response.status_code == 302, page_text(response)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def ready(db: Database, dossier_id: int) -> dict[str, HumanTask]:
    with db.transaction() as session:
        instance_id = session.get(Dossier, dossier_id).process_instance_id
        return {t.bpmn_id: t for t in session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.READY))}


def test_the_interest_dossier_shows_its_four_predefined_tasks(as_worker: FlaskClient, db: Database) -> None:
    dossier_id = open_dossier_page(as_worker, db, "information", "renovation_master_plan")
    page = page_text(as_worker.get(f"/dossiers/{dossier_id}"))
    for name in [*PREDEFINED_NAMES, "Register the request"]:
        assert name in page
    my_tasks = page_text(as_worker.get("/tasks/"))
    assert all(name in my_tasks for name in PREDEFINED_NAMES)

    tasks = ready(db, dossier_id)
    form = as_worker.get(f"/tasks/{tasks['syndic_meeting'].id}").get_data(as_text=True)
    assert 'name="syndic_meeting_date" required' in form
    refused = as_worker.post(f"/tasks/{tasks['syndic_meeting'].id}", data={"syndic_meeting_notes": "x" * 5})
    assert refused.status_code == 422
    done = as_worker.post(f"/tasks/{tasks['syndic_meeting'].id}", data={
        "syndic_meeting_date": "2026-04-02", "syndic_meeting_participants": "Syndic Janssens",
        "syndic_meeting_notes": "Interested; asks for the brochure."})
    assert done.status_code == 302
    page = page_text(as_worker.get(f"/dossiers/{dossier_id}"))
    assert "Task “Preliminary meeting with the syndic” completed" in page
    assert "syndic_meeting" not in ready(db, dossier_id)
    assert "answer_and_refer" not in ready(db, dossier_id)


def test_a_plain_information_dossier_has_no_predefined_tasks(as_worker: FlaskClient, db: Database) -> None:
    dossier_id = open_dossier_page(as_worker, db, "information", "technical_question")
    assert list(ready(db, dossier_id)) == ["register_request"]


def test_the_rmp_tabs_show_on_the_rmp_advice_dossier_only(as_worker: FlaskClient, db: Database) -> None:
    rmp_id = open_dossier_page(as_worker, db, "advice", "renovation_master_plan")
    other_id = open_dossier_page(as_worker, db, "advice", "renovation_advice", title="Other")
    page = page_text(as_worker.get(f"/dossiers/{rmp_id}"))
    assert "RMP timeline & decision/request" in page and "RMP elaboration" in page and "Financing" in page
    assert "Assign the coach" in page
    other = page_text(as_worker.get(f"/dossiers/{other_id}"))
    assert "RMP timeline & decision/request" not in other
    assert as_worker.get(f"/dossiers/{other_id}/rmp/application").status_code == 404
    tab = page_text(as_worker.get(f"/dossiers/{rmp_id}?tab=rmp_application"))
    assert "are not filled in yet" in tab and "No date recorded yet." in tab
    tab = as_worker.get(f"/dossiers/{rmp_id}?tab=rmp_elaboration").get_data(as_text=True)
    assert 'id="rmp-calendar"' in tab and "No works advised in the plan yet." in tab


def test_save_the_decision_and_request_with_the_computed_own_contribution(as_worker: FlaskClient,
                                                                         db: Database) -> None:
    dossier_id = open_dossier_page(as_worker, db, "advice", "renovation_master_plan")
    form = as_worker.get(f"/dossiers/{dossier_id}/rmp/application").get_data(as_text=True)
    assert 'name="veka_subsidy"' in form and 'name="own_contribution"' not in form

    saved = as_worker.post(f"/dossiers/{dossier_id}/rmp/application",
                           data={**APPLICATION, "own_contribution": "1"})
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/dossiers/{dossier_id}?tab=rmp_application")
    with db.transaction() as session:
        record = rmp_record_of(session, dossier_id)
        assert str(record.awarded_amount) == "24000.00" and str(record.own_contribution) == "6000.00"
        assert record.contract_received and record.support_actions == ["building_plans", "energy_consumption"]
    tab = as_worker.get(f"/dossiers/{dossier_id}?tab=rmp_application")
    html = tab.get_data(as_text=True)
    own = html.split('id="rmp-own_contribution">')[1].split("</dd>")[0]
    assert "6" in own and "000" in own
    text = page_text(tab)
    assert "Application sent to VEKA" in text and "Ask Fluvius for the energy consumption" in text
    assert text.index("The general assembly decided to apply") < text.index("Plan awarded")
    with db.transaction() as session:
        kinds = list(session.scalars(select(AuditEvent.kind).where(
            AuditEvent.subject_type == "dossier", AuditEvent.subject_id == dossier_id)))
    assert "rmp_application_saved" in kinds

    # the form shows what was saved
    form = as_worker.get(f"/dossiers/{dossier_id}/rmp/application").get_data(as_text=True)
    assert 'value="Studiebureau Zuid"' in form and 'value="2026-04-30"' in form


def test_inconsistent_amounts_and_dates_are_refused(as_worker: FlaskClient, db: Database) -> None:
    dossier_id = open_dossier_page(as_worker, db, "advice", "renovation_master_plan")
    refused = as_worker.post(f"/dossiers/{dossier_id}/rmp/application", data={
        **APPLICATION, "veka_subsidy": "30000", "awarded_on": "2026-03-01", "contract_received": "",
        "support_actions": ["building_plans"]})
    assert refused.status_code == 422
    text = page_text(refused)
    assert "The VEKA subsidy cannot exceed the awarded amount." in text
    assert "The award cannot come before the application was sent." in text
    assert "Tick “Signed contract received” or leave this date empty." in text
    assert "Tick “Ask Fluvius for the energy consumption” or leave this date empty." in text
    assert 'value="Studiebureau Zuid"' in refused.get_data(as_text=True)  # what was typed stays
    with db.transaction() as session:
        assert rmp_record_of(session, dossier_id) is None


def test_the_elaboration_with_its_calendar(as_worker: FlaskClient, db: Database) -> None:
    dossier_id = open_dossier_page(as_worker, db, "advice", "renovation_master_plan")
    out_of_order = as_worker.post(f"/dossiers/{dossier_id}/rmp/elaboration", data={
        "owner_survey_on": "2026-06-01",
        "calendar_award_planned": "2026-05-01", "calendar_application_planned": "2026-06-01"})
    assert out_of_order.status_code == 422
    text = page_text(out_of_order)
    assert "Tick that the survey is done, or leave its date empty." in text
    assert "This step cannot come before “Application to VEKA”" in text

    saved = as_worker.post(f"/dossiers/{dossier_id}/rmp/elaboration", data={
        "owner_survey_done": "1", "owner_survey_on": "2026-06-01", "occupant_survey_done": "1",
        "occupant_survey_on": "2026-05-28",  # the two surveys run side by side
        "elements_received": ["energy_audit", "building_survey"], "ga_date": "2026-11-20",
        "ga_preparation": "Invitation with a two-page summary",
        "calendar_application_planned": "2026-03-20", "calendar_application_actual": "2026-03-20",
        "calendar_owner_survey_planned": "2026-06-01", "calendar_occupant_survey_planned": "2026-05-25",
        "calendar_general_assembly_planned": "2026-11-20"})
    assert saved.status_code == 302
    with db.transaction() as session:
        record = rmp_record_of(session, dossier_id)
        assert record.calendar["application"] == {"planned": "2026-03-20", "actual": "2026-03-20"}
        assert record.elements_received == ["building_survey", "energy_audit"]
    tab = as_worker.get(f"/dossiers/{dossier_id}?tab=rmp_elaboration").get_data(as_text=True)
    row = tab.split('data-step="general_assembly"')[1].split("</tr>")[0]
    assert "2026" in row
    assert "✔ Energy audit" in tab
    with db.transaction() as session:
        assert session.scalar(select(AuditEvent.kind).where(
            AuditEvent.subject_id == dossier_id, AuditEvent.kind == "rmp_elaboration_saved")) is not None


def test_works_advised_in_the_plan_show_on_the_elaboration_tab(as_worker: FlaskClient, db: Database) -> None:
    dossier_id = open_dossier_page(as_worker, db, "advice", "renovation_master_plan")
    added = as_worker.post(f"/dossiers/{dossier_id}/works/new", data={
        "work_type": "roof_insulation", "building_part": "common", "premium_conform": "unknown",
        "rmp_advised": "1", "rmp_priority": "short"})
    assert added.status_code == 302
    tab = page_text(as_worker.get(f"/dossiers/{dossier_id}?tab=rmp_elaboration"))
    assert "Roof insulation" in tab and "Short term" in tab


def test_people_who_do_not_handle_cases_change_nothing(as_worker: FlaskClient, as_manager: FlaskClient,
                                                        db: Database) -> None:
    dossier_id = open_dossier_page(as_worker, db, "advice", "renovation_master_plan")
    assert as_manager.get(f"/dossiers/{dossier_id}?tab=rmp_application").status_code == 200
    assert 'id="edit-rmp-application"' not in as_manager.get(
        f"/dossiers/{dossier_id}?tab=rmp_application").get_data(as_text=True)
    assert as_manager.get(f"/dossiers/{dossier_id}/rmp/application").status_code == 403
    assert as_manager.post(f"/dossiers/{dossier_id}/rmp/application", data=APPLICATION).status_code == 403
    assert as_manager.post(f"/dossiers/{dossier_id}/rmp/elaboration", data={}).status_code == 403
    with db.transaction() as session:
        assert rmp_record_of(session, dossier_id) is None


def test_the_predefined_tasks_and_the_tabs_speak_french(app, services, make_user, db: Database) -> None:
    from engine.access.models import Role
    from tests.webapp.support import login

    client = app.test_client()
    login(client, make_user(Role.CASE_WORKER, locale="fr"))
    open_dossier_page(client, db, "information", "renovation_master_plan")
    tasks = page_text(client.get("/tasks/"))
    assert "Entretien préliminaire avec le syndic" in tasks and "Séance d'information ACP" in tasks
    rmp_id = open_dossier_page(client, db, "advice", "renovation_master_plan")
    page = page_text(client.get(f"/dossiers/{rmp_id}?tab=rmp_elaboration"))
    assert "Chronologie PDR, Décision & Demande PDR" in page and "Élaboration PDR" in page
    assert "Enquête auprès des propriétaires" in page
