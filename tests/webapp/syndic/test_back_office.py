"""The back office of the syndic mandates: the list with its filters, one request with its
documents and history, confirm the counter's confirmation, cancel, file on behalf of an
organisation, the fee table (administrators add rows), and the organisation page's history."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.access.models import Role, User
from engine.db import Database
from engine.parties.commands import create_organisation
from engine.syndic.models import FeeRate, Mandate, MandateRequest, RequestStatus
from tests.webapp.portal.helpers import sign_in
from tests.webapp.support import login, page_text
from tests.webapp.syndic.support import (
    KNOWN_ASSOCIATION,
    PDF,
    deploy_syndic,
    ready_world,
    registration_form,
    the_request,
)


@pytest.fixture
def syndic_app(app: Flask, db: Database) -> Flask:
    return deploy_syndic(app, db)


def _filed(app: Flask, db: Database, **overrides: object) -> MandateRequest:
    """A registration filed on the portal by the world's manager."""
    w = ready_world(db)
    portal = app.test_client()
    sign_in(portal, w.manager, w.org.id)
    response = portal.post("/portal/mandates/new/registration", data=registration_form(**overrides),
                           content_type="multipart/form-data")
    assert response.status_code == 302, page_text(response)[:1500]
    return the_request(db)


def _approve(app: Flask, db: Database, row: MandateRequest) -> None:
    with db.transaction() as session:
        from engine.workflow.models import HumanTask

        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == row.process_instance_id,
                                                       HumanTask.state == "ready")).one()
        app.extensions["guichet"].engine.complete(session, task.id, {"decision": "approve", "reason": ""},
                                                  user_id=None)


def test_portal_accounts_and_anonymous_are_refused(syndic_app: Flask, client: FlaskClient, db: Database) -> None:
    w = ready_world(db)
    assert client.get("/syndic/requests").status_code in (302, 401)
    sign_in(client, w.manager, w.org.id)
    assert client.get("/syndic/requests").status_code == 403
    assert client.get("/syndic/fees").status_code == 403


def test_list_filters_and_detail(syndic_app: Flask, client: FlaskClient, db: Database,
                                 make_user: Callable[..., User]) -> None:
    row = _filed(syndic_app, db, start_in_days=-10, decision_days_ago=30)  # late
    login(client, make_user(Role.MANAGER))  # managers read
    listing = client.get("/syndic/requests").get_data(as_text=True)
    assert row.reference in listing and 'data-late="' in listing and f"/instances/{row.process_instance_id}" in listing
    assert row.reference in client.get("/syndic/requests?late=late&kind=registration").get_data(as_text=True)
    assert row.reference not in client.get("/syndic/requests?late=on_time").get_data(as_text=True)
    assert row.reference not in client.get("/syndic/requests?kind=termination").get_data(as_text=True)
    assert row.reference not in client.get("/syndic/requests?status=filed").get_data(as_text=True)
    detail = client.get(f"/syndic/requests/{row.id}")
    text = page_text(detail)
    assert detail.status_code == 200 and "85073003328" in text and "syndic request submitted" in text
    assert 'data-testid="confirm-form"' not in detail.get_data(as_text=True)  # managers read only
    assert client.post(f"/syndic/requests/{row.id}/cancel", data={"reason": "x"}).status_code == 403
    download = client.get(f"/syndic/requests/{row.id}/documents/decision_extract")
    assert download.status_code == 200 and download.data == PDF
    assert client.get("/syndic/requests/999999").status_code == 404


def test_the_review_task_is_linked_from_the_list(syndic_app: Flask, client: FlaskClient, db: Database,
                                                 make_user: Callable[..., User]) -> None:
    _filed(syndic_app, db)
    login(client, make_user(Role.CASE_WORKER))
    html = client.get("/syndic/requests").get_data(as_text=True)
    assert 'data-testid="review-task"' in html and "/tasks/" in html


def test_confirm_after_filing_records_the_mandate(syndic_app: Flask, client: FlaskClient, db: Database,
                                                  make_user: Callable[..., User]) -> None:
    row = _filed(syndic_app, db)
    _approve(syndic_app, db, row)
    assert the_request(db).status == RequestStatus.FILED
    login(client, make_user(Role.CASE_WORKER))
    missing = client.post(f"/syndic/requests/{row.id}/confirm", data={"counter_reference": "",
                                                                     "confirmed_on": "2026-13-01"})
    assert missing.status_code == 400
    html = missing.get_data(as_text=True)
    assert 'id="field-counter_reference-error"' in html and 'id="field-confirmed_on-error"' in html
    assert the_request(db).status == RequestStatus.FILED
    done = client.post(f"/syndic/requests/{row.id}/confirm", data={"counter_reference": "KBO-77"})
    assert done.status_code == 302
    row = the_request(db)
    assert row.status == RequestStatus.RECORDED and row.counter_reference == "KBO-77"
    with db.transaction() as session:
        mandate = session.scalars(select(Mandate).where(Mandate.association_number == KNOWN_ASSOCIATION)).one()
        assert mandate.syndic_name == "Syndicus Van Rompaey" and mandate.representative_name == "Peeters"
    again = client.post(f"/syndic/requests/{row.id}/confirm", data={"counter_reference": "KBO-78"})
    assert again.status_code == 409 and the_request(db).counter_reference == "KBO-77"


def test_cancel_needs_a_reason(syndic_app: Flask, client: FlaskClient, db: Database,
                               make_user: Callable[..., User]) -> None:
    row = _filed(syndic_app, db)
    login(client, make_user(Role.CASE_WORKER))
    empty = client.post(f"/syndic/requests/{row.id}/cancel", data={"reason": " "})
    assert empty.status_code == 400 and the_request(db).status == RequestStatus.SUBMITTED
    assert client.post(f"/syndic/requests/{row.id}/cancel", data={"reason": "Filed twice"}).status_code == 302
    assert the_request(db).status == RequestStatus.CANCELLED


def test_a_case_worker_files_on_behalf_of_an_organisation(syndic_app: Flask, client: FlaskClient, db: Database,
                                                          make_user: Callable[..., User]) -> None:
    w = ready_world(db)
    login(client, make_user(Role.CASE_WORKER))
    assert "/syndic/requests/new/registration" in client.get("/syndic/requests/new").get_data(as_text=True)
    page = client.get(f"/syndic/requests/new/registration?organisation_id={w.org.id}").get_data(as_text=True)
    assert f'<option value="{w.org.id}" selected' in page
    no_org = client.post("/syndic/requests/new/registration", data=registration_form(),
                         content_type="multipart/form-data")
    assert no_org.status_code == 400 and 'id="field-organisation_id-error"' in no_org.get_data(as_text=True)
    preview = client.post("/syndic/requests/new/registration/preview",
                          data={"association_number": KNOWN_ASSOCIATION, "organisation_id": str(w.org.id)})
    assert "92.50 EUR" in preview.get_data(as_text=True) and "500.00" in preview.get_data(as_text=True)
    data = registration_form(organisation_id=str(w.org.id))
    filed = client.post("/syndic/requests/new/registration", data=data, content_type="multipart/form-data")
    assert filed.status_code == 302, page_text(filed)[:1500]
    row = the_request(db)
    assert row.channel == "back_office" and row.organisation_id == w.org.id


def test_fee_table(syndic_app: Flask, client: FlaskClient, db: Database, make_user: Callable[..., User]) -> None:
    login(client, make_user(Role.CASE_WORKER))
    page = client.get("/syndic/fees")
    assert page.status_code == 200 and 'data-valid-from="2022-01-01"' in page.get_data(as_text=True)
    assert 'action="/syndic/fees"' not in page.get_data(as_text=True)
    assert client.post("/syndic/fees", data={"valid_from": "2027-01-01", "request_fee": "95.00",
                                             "unknown_association_supplement": "37"}).status_code == 403
    client.get("/logout")
    login(client, make_user(Role.ADMINISTRATOR))
    bad = client.post("/syndic/fees", data={"valid_from": "next year", "request_fee": "-3",
                                            "unknown_association_supplement": "37.001", "vat_rate": "21"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    for name in ("valid_from", "request_fee", "unknown_association_supplement"):
        assert f'id="field-{name}-error"' in html
    duplicate = client.post("/syndic/fees", data={"valid_from": "2022-01-01", "request_fee": "95.00",
                                                  "unknown_association_supplement": "37", "vat_rate": "21"})
    assert duplicate.status_code == 409 and "already exists" in page_text(duplicate)
    added = client.post("/syndic/fees", data={"valid_from": "2027-01-01", "request_fee": "95.00",
                                              "unknown_association_supplement": "37", "vat_rate": "21"})
    assert added.status_code == 302
    with db.transaction() as session:
        rate = session.scalars(select(FeeRate).where(FeeRate.valid_from.isnot(None))
                               .order_by(FeeRate.valid_from.desc())).first()
        assert rate.request_fee == Decimal("95.00") and rate.vat_rate == Decimal("0.21")
        assert session.scalar(select(func.count()).select_from(FeeRate)) == 5


def test_the_organisation_page_shows_the_mandate_history(syndic_app: Flask, client: FlaskClient, db: Database,
                                                         make_user: Callable[..., User]) -> None:
    row = _filed(syndic_app, db)
    _approve(syndic_app, db, row)
    login(client, make_user(Role.CASE_WORKER))
    assert client.post(f"/syndic/requests/{row.id}/confirm", data={"counter_reference": "KBO-1"}).status_code == 302
    with db.transaction() as session:
        association = create_organisation(session, {"name": "VME Residentie Dijlezicht",
                                                     "kind": "co_ownership_association",
                                                     "enterprise_number": KNOWN_ASSOCIATION}, None)
        association_id = association.id
    html = client.get(f"/organisations/{association_id}").get_data(as_text=True)
    section = html.split('data-testid="organisation-mandates"', 1)[1]
    assert "Syndicus Van Rompaey" in section and 'data-current="1"' in section
    syndic_page = client.get(f"/organisations/{row.organisation_id}").get_data(as_text=True)
    assert "Syndicus Van Rompaey" in syndic_page.split('data-testid="organisation-mandates"', 1)[1]


def test_upload_of_a_document_checks_the_content(syndic_app: Flask, client: FlaskClient, db: Database,
                                                 make_user: Callable[..., User]) -> None:
    w = ready_world(db)
    login(client, make_user(Role.CASE_WORKER))
    data = registration_form(organisation_id=str(w.org.id), decision_extract=(io.BytesIO(b"<html>x</html>"), "a.png"))
    response = client.post("/syndic/requests/new/registration", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and 'id="field-decision_extract-error"' in response.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MandateRequest)) == 0
