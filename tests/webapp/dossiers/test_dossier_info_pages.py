"""The general information of a dossier (seed 001 §3.2) in the pages: optional fields on the New
dossier page, the "Edit dossier info" page reached from the overview, the overview and history."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.cases.models import Dossier
from engine.db import Database
from engine.workflow.models import AuditEvent
from tests.webapp.support import login, page_text


def _open(client: FlaskClient, **data: object) -> int:
    response = client.post("/dossiers/new", data={"dossier_type": "advice", "title": "Apartment in Arsenaal",
                                                  **data})
    assert response.status_code == 302, page_text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _dossier(db: Database, dossier_id: int) -> Dossier:
    with db.transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        session.expunge(dossier)
        return dossier


def test_the_new_page_offers_the_general_information(as_worker: FlaskClient) -> None:
    text = page_text(as_worker.get("/dossiers/new"))
    for words in ("Source of the request", "Offer presentation", "Main project", "Additional projects",
                  "Arsenaal neighbourhood renovation", "CondoReno", "Information session"):
        assert words in text


def test_a_dossier_opens_with_its_projects_shown_on_the_overview(as_worker: FlaskClient, db: Database) -> None:
    dossier_id = _open(as_worker, source="contact_form", offer_presentation="information_session",
                       main_project="arsenaal_renovation", additional_projects=["condoreno", "fosster"])
    dossier = _dossier(db, dossier_id)
    assert (dossier.source, dossier.offer_presentation, dossier.main_project, dossier.additional_projects) == (
        "contact_form", "information_session", "arsenaal_renovation", ["condoreno", "fosster"])
    text = page_text(as_worker.get(f"/dossiers/{dossier_id}"))
    assert "Source of the request Contact form" in text
    assert "Offer presentation Information session" in text
    assert "Main project Arsenaal neighbourhood renovation" in text
    assert "Additional projects CondoReno, FOSSTER" in text


def test_the_general_information_is_optional(as_worker: FlaskClient, db: Database) -> None:
    dossier_id = _open(as_worker)
    dossier = _dossier(db, dossier_id)
    assert (dossier.offer_presentation, dossier.main_project, dossier.additional_projects) == (None, None, [])
    assert "Main project" not in page_text(as_worker.get(f"/dossiers/{dossier_id}"))


def test_the_new_page_says_which_field_is_wrong(as_worker: FlaskClient, db: Database) -> None:
    response = as_worker.post("/dossiers/new", data={
        "dossier_type": "advice", "title": "Apartment", "offer_presentation": "carrier_pigeon",
        "main_project": "condoreno", "additional_projects": ["condoreno"]})
    assert response.status_code == 422
    text = page_text(response)
    assert "Offer presentation: Choose one of the proposed values." in text
    assert "Additional projects: The main project is already chosen above: choose only other projects here." in text
    response = as_worker.post("/dossiers/new", data={"dossier_type": "advice", "title": "Apartment",
                                                     "additional_projects": ["fosster"]})
    assert response.status_code == 422
    assert "Additional projects: Choose the main project first" in page_text(response)
    with db.transaction() as session:
        assert session.scalar(select(Dossier.id)) is None


def test_the_info_page_is_reached_from_the_overview_and_changes_are_audited(
        as_worker: FlaskClient, db: Database) -> None:
    dossier_id = _open(as_worker, source="phone", main_project="arsenaal_renovation")
    overview = as_worker.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert f'href="/dossiers/{dossier_id}/info"' in overview

    form = as_worker.get(f"/dossiers/{dossier_id}/info")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert re.search(r'value="phone"\s+selected', html) and re.search(r'value="arsenaal_renovation"\s+selected', html)

    response = as_worker.post(f"/dossiers/{dossier_id}/info", data={
        "source": "phone", "offer_presentation": "website", "main_project": "condoreno",
        "additional_projects": ["arsenaal_renovation"]})
    assert response.status_code == 302, page_text(response)
    dossier = _dossier(db, dossier_id)
    assert (dossier.offer_presentation, dossier.main_project, dossier.additional_projects) == (
        "website", "condoreno", ["arsenaal_renovation"])
    with db.transaction() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "dossier_info_changed"))
        assert event.detail == {"changes": {
            "offer_presentation": [None, "website"],
            "main_project": ["arsenaal_renovation", "condoreno"],
            "additional_projects": [[], ["arsenaal_renovation"]],
        }}
    text = page_text(as_worker.get(f"/dossiers/{dossier_id}"))
    assert ("Dossier info changed: Offer presentation: — → Website; Main project: Arsenaal neighbourhood "
            "renovation → CondoReno; Additional projects: — → Arsenaal neighbourhood renovation") in text
    assert "Main project CondoReno" in text


def test_emptying_a_field_clears_it(as_worker: FlaskClient, db: Database) -> None:
    dossier_id = _open(as_worker, source="email", offer_presentation="press", main_project="fosster",
                       additional_projects=["condoreno"])
    response = as_worker.post(f"/dossiers/{dossier_id}/info", data={"source": "email", "offer_presentation": ""})
    assert response.status_code == 302
    dossier = _dossier(db, dossier_id)
    assert (dossier.source, dossier.offer_presentation, dossier.main_project, dossier.additional_projects) == (
        "email", None, None, [])


def test_a_wrong_change_is_shown_again_and_saves_nothing(as_worker: FlaskClient, db: Database) -> None:
    dossier_id = _open(as_worker, main_project="fosster")
    response = as_worker.post(f"/dossiers/{dossier_id}/info", data={
        "source": "pigeon", "main_project": "", "additional_projects": ["condoreno"]})
    assert response.status_code == 422
    text = page_text(response)
    assert "Source of the request: Choose one of the proposed values." in text
    assert "Additional projects: Choose the main project first" in text
    assert re.search(r'value="condoreno"\s+checked', response.get_data(as_text=True))
    assert _dossier(db, dossier_id).main_project == "fosster"
    with db.transaction() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.kind == "dossier_info_changed")) is None


def test_the_info_page_is_for_case_handlers(app: Flask, as_worker: FlaskClient, services,
                                            make_user: Callable[..., User]) -> None:
    dossier_id = _open(as_worker)
    manager = app.test_client()
    login(manager, make_user(Role.MANAGER, name="Mia Manager", locale="en"))
    assert manager.get(f"/dossiers/{dossier_id}/info").status_code == 403
    assert manager.post(f"/dossiers/{dossier_id}/info", data={"main_project": "fosster"}).status_code == 403
    assert f'/dossiers/{dossier_id}/info"' not in manager.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert as_worker.get("/dossiers/999999/info").status_code == 404


def test_the_fields_speak_french_and_dutch(app: Flask, as_worker: FlaskClient, services,
                                           make_user: Callable[..., User]) -> None:
    dossier_id = _open(as_worker, offer_presentation="word_of_mouth", main_project="arsenaal_renovation",
                       additional_projects=["climate_adaptation"])
    for locale, words in (("fr", ("Présentation de l'offre Bouche-à-oreille",
                                  "Projet principal Rénovation du quartier Arsenaal",
                                  "Projets supplémentaires Adaptation climatique")),
                          ("nl", ("Voorstelling van het aanbod Mond-tot-mondreclame",
                                  "Hoofdproject Renovatie Arsenaalwijk",
                                  "Bijkomende projecten Klimaatadaptatie"))):
        client = app.test_client()
        login(client, make_user(Role.CASE_WORKER, email=f"{locale}@guichet.test", locale=locale))
        text = page_text(client.get(f"/dossiers/{dossier_id}"))
        for expected in words:
            assert expected in text, (locale, expected)
