"""A manager asks for portal access on the portal; the case worker decides in the task list; the
member then sees the buildings; refusals are explained at once or by e-mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role
from engine.db import Database
from engine.notify import Notification
from engine.portal.access_requests import AccessRequest, RequestStatus
from engine.queues.commands import queue_by_code, seed_queues
from engine.queues.models import queue_members
from engine.workflow.models import HumanTask
from tests.portal_support import building
from tests.webapp.portal.helpers import accept_terms, sign_in, world
from tests.webapp.support import login, page_text

BPMN = Path(__file__).resolve().parents[3] / "bpmn" / "portal" / "access_request.bpmn"


@pytest.fixture
def portal_app(app: Flask, db: Database) -> Flask:
    services = app.extensions["guichet"]
    with db.transaction() as session:
        services.engine.deploy(session, BPMN.read_text(), "bpmn/portal/access_request.bpmn")
        seed_queues(session)
    return app


def _buildings(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        radio = building(session, client_number="C300300", name="Résidence Meir", radio=True)
        on_site = building(session, client_number="C300300", name="Résidence Kouter", radio=False)
        foreign = building(session, client_number="C900901", name="Résidence Elders", radio=True)
        return {"radio": radio.code, "on_site": on_site.code, "foreign": foreign.code}


def test_refused_buildings_are_explained_and_nothing_is_started(portal_app: Flask, client: FlaskClient,
                                                                db: Database) -> None:
    w, codes = world(db), _buildings(db)
    accept_terms(db, w.manager)
    sign_in(client, w.manager, w.org.id)
    response = client.post("/portal/access-requests", data={
        "client_number": "C300300", "building_codes": f"{codes['on_site']}\n{codes['foreign']}"})
    text = page_text(response)
    assert response.status_code == 400
    assert f"{codes['on_site']} is read on site, not by radio" in text
    assert f"{codes['foreign']} is not a building of client number C300300" in text
    with db.transaction() as session:
        assert session.scalar(select(AccessRequest.id)) is None


def test_invalid_input_is_shown_next_to_the_fields(portal_app: Flask, client: FlaskClient, db: Database) -> None:
    w = world(db)
    accept_terms(db, w.manager)
    sign_in(client, w.manager, w.org.id)
    response = client.post("/portal/access-requests", data={"client_number": "??", "building_codes": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="field-client_number-error"' in html and 'id="field-building_codes-error"' in html


def test_a_request_approved_by_a_case_worker_shows_the_building(portal_app: Flask, client: FlaskClient,
                                                                 db: Database, make_user) -> None:
    w, codes = world(db), _buildings(db)
    accept_terms(db, w.manager)
    sign_in(client, w.manager, w.org.id)
    sent = client.post("/portal/access-requests", data={
        "client_number": "C300300", "building_codes": f"{codes['radio']}, {codes['on_site']}",
        "message": "Nouveau mandat"})
    assert sent.status_code == 302
    listing = page_text(client.get("/portal/access-requests"))
    assert "C300300" in listing and "read on site, not by radio" in listing

    worker = make_user(Role.CASE_WORKER)
    with db.transaction() as session:
        session.execute(queue_members.insert().values(queue_id=queue_by_code(session, "portal").id,
                                                      user_id=worker.id))
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.queue == "portal"))
    staff = portal_app.test_client()
    login(staff, worker)
    page = staff.get(f"/tasks/{task_id}")
    assert page.status_code == 200
    assert "Client number: C300300" in page_text(page) and "0403170701" in page_text(page)
    assert staff.post(f"/tasks/{task_id}", data={"decision": "approve"}).status_code in (200, 302)
    with db.transaction() as session:
        assert session.scalars(select(AccessRequest)).one().status == RequestStatus.APPROVED
        assert session.scalars(select(Notification.purpose)).all() == ["access_approved"]
    second = staff.post(f"/tasks/{task_id}", data={"decision": "approve"})
    assert second.status_code == 409, second.status_code  # the task is closed: nothing done twice
    with db.transaction() as session:
        assert session.scalars(select(Notification.purpose)).all() == ["access_approved"]

    with client.session_transaction() as flask_session:
        flask_session.pop("portal_client_checked", None)
    assert client.post("/portal/client-number", data={"client_number": "C300300"}).status_code == 302
    assert "Résidence Meir" in page_text(client.get("/portal/"))


def test_only_managers_send_requests(portal_app: Flask, client: FlaskClient, db: Database) -> None:
    w, codes = world(db), _buildings(db)
    accept_terms(db, w.technical)
    sign_in(client, w.technical, w.org.id)
    assert client.get("/portal/access-requests").status_code == 200
    assert client.post("/portal/access-requests", data={"client_number": "C300300",
                                                        "building_codes": codes["radio"]}).status_code == 403
