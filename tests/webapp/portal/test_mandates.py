"""Syndic mandates on the portal: who may open the pages, the form's messages, renewal files
nothing, the preview's figures, a filing that starts the process, the answer to a send-back,
"pay now" with and without balance, documents and the mandate history."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.access.models import Role, User
from engine.db import Database
from engine.privacy.models import AccessLog
from engine.syndic.models import MandateRequest, RequestStatus
from engine.workflow.models import HumanTask, ProcessInstance
from tests.webapp.portal.helpers import sign_in
from tests.webapp.support import login, page_text
from tests.webapp.syndic.support import (
    KNOWN_ASSOCIATION,
    PDF,
    UNKNOWN_ASSOCIATION,
    balance,
    credit,
    deploy_syndic,
    ready_world,
    registration_form,
    the_request,
)


@pytest.fixture
def syndic_app(app: Flask, db: Database) -> Flask:
    return deploy_syndic(app, db)


def _count(db: Database, model: type) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _review(app: Flask, db: Database, make_user: Callable[..., User], decision: str, reason: str = "") -> None:
    """A case worker completes the open document check through the task page."""
    from engine.queues.commands import queue_by_code
    from engine.queues.models import queue_members

    worker = make_user(Role.CASE_WORKER)
    with db.transaction() as session:
        session.execute(queue_members.insert().values(queue_id=queue_by_code(session, "syndic").id,
                                                      user_id=worker.id))
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.form_key == "syndic.review_documents",
                                                            HumanTask.state == "ready"))
    assert task_id is not None
    staff = app.test_client()
    login(staff, worker)
    page = staff.get(f"/tasks/{task_id}")
    assert f"/syndic/requests/{the_request(db).id}" in page.get_data(as_text=True)  # the task links the request
    data = {"decision": decision, "reason": reason}
    assert staff.post(f"/tasks/{task_id}", data=data).status_code in (200, 302)


def _file(client: FlaskClient, **overrides: object) -> MandateRequest | None:
    response = client.post("/portal/mandates/new/registration", data=registration_form(**overrides),
                           content_type="multipart/form-data")
    assert response.status_code == 302, page_text(response)[:2000]
    return None


# -- access ---------------------------------------------------------------------------------------

def test_anonymous_and_staff_are_refused(syndic_app: Flask, client: FlaskClient, db: Database,
                                         make_user: Callable[..., User]) -> None:
    ready_world(db)
    assert client.get("/portal/mandates").status_code in (302, 401)
    login(client, make_user(Role.CASE_WORKER))
    assert client.get("/portal/mandates").status_code == 403
    assert client.get("/portal/mandates/new/registration").status_code == 403


def test_a_member_without_the_tool_sees_what_is_missing(syndic_app: Flask, client: FlaskClient,
                                                        db: Database) -> None:
    w = ready_world(db)
    sign_in(client, w.technical, w.org.id)  # not granted by a manager
    response = client.get("/portal/mandates")
    assert response.status_code == 403
    assert "Not granted to you by a manager." in page_text(response)
    posted = client.post("/portal/mandates/new/registration", data=registration_form(),
                         content_type="multipart/form-data")
    assert posted.status_code == 403 and _count(db, MandateRequest) == 0


def test_an_organisation_without_the_ipi_accreditation_is_told(syndic_app: Flask, client: FlaskClient,
                                                               db: Database) -> None:
    w = ready_world(db)
    sign_in(client, w.outsider, w.other_org.id)  # manager of an organisation without accreditation
    text = page_text(client.get("/portal/mandates"))
    assert "Missing accreditation: IPI membership" in text and "Not enabled for your organisation" in text


def test_a_request_of_another_organisation_answers_404(syndic_app: Flask, client: FlaskClient, db: Database) -> None:
    w = ready_world(db)
    sign_in(client, w.manager, w.org.id)
    _file(client)
    row = the_request(db)
    client.get("/logout")
    with db.transaction() as session:
        from engine.portal import tools

        tools.record_accreditation(session, w.outsider.id, kind="ipi_member", reference="IPI 9",
                                   organisation_id=w.other_org.id)
        tools.enable_tool(session, w.outsider.id, w.other_org.id, "syndic_filing")
    sign_in(client, w.outsider, w.other_org.id)
    assert client.get("/portal/mandates").status_code == 200
    for url in (f"/portal/mandates/{row.id}", f"/portal/mandates/{row.id}/documents/decision_extract"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/portal/mandates/{row.id}/pay").status_code == 404
    assert client.post(f"/portal/mandates/{row.id}/answer", data={"answer": "x"}).status_code == 404
    assert row.reference not in client.get("/portal/mandates").get_data(as_text=True)


# -- the choice and the form ----------------------------------------------------------------------

def test_renewal_is_explained_and_files_nothing(syndic_app: Flask, client: FlaskClient, db: Database) -> None:
    w = ready_world(db)
    sign_in(client, w.manager, w.org.id)
    choice = client.get("/portal/mandates/new").get_data(as_text=True)
    for kind in ("registration", "modification", "termination", "termination_and_registration", "renewal"):
        assert f"/portal/mandates/new/{kind}" in choice
    page = client.get("/portal/mandates/new/renewal")
    text = page_text(page)
    assert page.status_code == 200 and "not a modification to report" in text
    assert "/portal/mandates/new/modification" in page.get_data(as_text=True)
    assert "<form" not in page.get_data(as_text=True).split("<main", 1)[1]
    assert client.post("/portal/mandates/new/renewal").status_code == 405
    assert _count(db, MandateRequest) == 0


def test_the_form_shows_what_the_kind_needs(syndic_app: Flask, client: FlaskClient, db: Database) -> None:
    w = ready_world(db)
    sign_in(client, w.manager, w.org.id)
    registration = client.get("/portal/mandates/new/registration").get_data(as_text=True)
    assert 'name="decision_extract"' in registration and 'name="revocation_proof"' not in registration
    assert 'name="mandate_start"' in registration and 'name="effective_date"' not in registration
    assert 'data-when-case="accredited_required"' in registration and "js/syndic_form.js" in registration
    termination = client.get("/portal/mandates/new/termination").get_data(as_text=True)
    assert 'name="revocation_proof"' in termination and 'name="syndic_kind"' not in termination
    both = client.get("/portal/mandates/new/termination_and_registration").get_data(as_text=True)
    assert 'name="revocation_proof"' in both and 'name="decision_extract"' in both


def test_invalid_input_is_shown_per_field_and_nothing_is_written(syndic_app: Flask, client: FlaskClient,
                                                                 db: Database, tmp_path: object) -> None:
    w = ready_world(db)
    sign_in(client, w.manager, w.org.id)
    store_before = syndic_app.extensions["guichet"].settings.files_root
    data = registration_form(association_number="0850.412.362", representative_person_number="85073003329",
                             decision_extract=(io.BytesIO(b"MZ\x90\x00 not a pdf"), "pv.pdf"))
    response = client.post("/portal/mandates/new/registration", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for name in ("association_number", "representative_person_number", "decision_extract"):
        assert f'id="field-{name}-error"' in html, name
    assert 'value="Peeters"' in html and 'value="0850.412.362"' in html  # the values are kept
    unnamed = client.post("/portal/mandates/new/registration", data=registration_form(syndic_name=""),
                          content_type="multipart/form-data")
    assert unnamed.status_code == 400 and 'id="field-syndic_name-error"' in unnamed.get_data(as_text=True)
    assert _count(db, MandateRequest) == 0 and _count(db, ProcessInstance) == 0
    assert not any(p.is_file() and p.parent.name != "tmp" for p in store_before.rglob("*")) \
        if store_before.exists() else True

    missing = registration_form(decision_extract=None)
    response = client.post("/portal/mandates/new/registration", data=missing, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Attach the extract of the appointment decision" in page_text(response)
    assert _count(db, MandateRequest) == 0


def test_the_preview_shows_deadline_lateness_and_fee(syndic_app: Flask, client: FlaskClient, db: Database) -> None:
    w = ready_world(db, credit=Decimal("100.00"))
    sign_in(client, w.manager, w.org.id)
    today = dt.date.today()
    late = {k: v for k, v in registration_form(start_in_days=-20, decision_days_ago=40).items()
            if k != "decision_extract"}
    html = client.post("/portal/mandates/new/registration/preview", data=late).get_data(as_text=True)
    assert 'data-testid="preview-late"' in html and "VME Residentie Dijlezicht" in html
    assert 'data-testid="preview-fee-total">92.50 EUR' in html  # the 2022 rate, association known
    assert 'data-covers="1"' in html and "100.00" in html
    on_time = {k: v for k, v in registration_form(association=UNKNOWN_ASSOCIATION).items()
               if k != "decision_extract"}
    html = client.post("/portal/mandates/new/registration/preview", data=on_time).get_data(as_text=True)
    start = today + dt.timedelta(days=40)
    assert 'data-testid="preview-late"' not in html
    assert f'data-deadline="{(start - dt.timedelta(days=1)).isoformat()}"' in html or 'data-deadline="' in html
    assert "unknown_association_supplement" in html and "137.27 EUR" in html  # 92.50 + 37 + 7.77 VAT
    assert 'data-covers="0"' in html
    bad = client.post("/portal/mandates/new/registration/preview", data={"association_number": "12"})
    assert bad.status_code == 200 and "field-error" in bad.get_data(as_text=True)


# -- filing and what follows ----------------------------------------------------------------------

def test_a_filing_starts_the_process_and_is_listed(syndic_app: Flask, client: FlaskClient, db: Database) -> None:
    w = ready_world(db)
    sign_in(client, w.manager, w.org.id)
    _file(client)
    row = the_request(db)
    assert row.status == RequestStatus.SUBMITTED and row.organisation_id == w.org.id and row.channel == "portal"
    assert row.association_known and row.association_name == "VME Residentie Dijlezicht"
    assert row.representative_case == "named" and row.documents["decision_extract"]["name"] == "pv-ag.pdf"
    assert row.process_instance_id is not None and row.fee_total == Decimal("92.50")
    listing = client.get("/portal/mandates").get_data(as_text=True)
    assert row.reference in listing and 'data-status="submitted"' in listing
    detail = client.get(f"/portal/mandates/{row.id}")
    assert detail.status_code == 200 and row.reference in page_text(detail)
    download = client.get(f"/portal/mandates/{row.id}/documents/decision_extract")
    assert download.status_code == 200 and download.data == PDF
    with db.transaction() as session:
        logged = session.scalars(select(AccessLog).where(
            AccessLog.record_type == "syndic_request", AccessLog.record_id == row.id)).all()
        assert {entry.action for entry in logged} >= {"view", "export"}


def test_sent_back_then_answered(syndic_app: Flask, client: FlaskClient, db: Database,
                                 make_user: Callable[..., User]) -> None:
    w = ready_world(db)
    sign_in(client, w.manager, w.org.id)
    _file(client)
    _review(syndic_app, db, make_user, "send_back", "The extract is not signed: send the signed minutes.")
    row = the_request(db)
    assert row.status == RequestStatus.SENT_BACK
    page = page_text(client.get(f"/portal/mandates/{row.id}"))
    assert "The extract is not signed" in page
    empty = client.post(f"/portal/mandates/{row.id}/answer", data={"answer": ""})
    assert empty.status_code == 400 and "Write your answer" in page_text(empty)
    answered = client.post(f"/portal/mandates/{row.id}/answer", content_type="multipart/form-data", data={
        "answer": "Here are the signed minutes.", "decision_extract": (io.BytesIO(PDF + b"%signed"), "signed.pdf")})
    assert answered.status_code == 302
    row = the_request(db)
    assert row.status == RequestStatus.SUBMITTED and row.answer == "Here are the signed minutes."
    assert row.documents["decision_extract"]["name"] == "signed.pdf"


def test_pay_now_without_then_with_balance(syndic_app: Flask, client: FlaskClient, db: Database,
                                           make_user: Callable[..., User]) -> None:
    w = ready_world(db, credit=None)
    sign_in(client, w.manager, w.org.id)
    _file(client)
    _review(syndic_app, db, make_user, "approve")
    row = the_request(db)
    assert row.status == RequestStatus.AWAITING_PAYMENT
    assert 'data-testid="pay-now"' in client.get(f"/portal/mandates/{row.id}").get_data(as_text=True)
    refused = client.post(f"/portal/mandates/{row.id}/pay")
    assert refused.status_code == 409
    assert "does not cover the fee" in page_text(refused) and "/portal/wallet" in refused.get_data(as_text=True)
    assert the_request(db).status == RequestStatus.AWAITING_PAYMENT
    credit(db, w.org.id, Decimal("100.00"), "test:topup")
    assert client.post(f"/portal/mandates/{row.id}/pay").status_code == 302
    assert the_request(db).status == RequestStatus.FILED
    assert balance(db, w.org.id) == Decimal("7.50")


def test_the_recorded_mandate_is_in_the_history(syndic_app: Flask, client: FlaskClient, db: Database,
                                                make_user: Callable[..., User]) -> None:
    w = ready_world(db)
    sign_in(client, w.manager, w.org.id)
    _file(client)
    _review(syndic_app, db, make_user, "approve")
    row = the_request(db)
    assert row.status == RequestStatus.FILED
    staff = syndic_app.test_client()
    login(staff, make_user(Role.CASE_WORKER))
    assert staff.post(f"/syndic/requests/{row.id}/confirm", data={"counter_reference": "BCE-2026-1"}).status_code == 302
    assert the_request(db).status == RequestStatus.RECORDED
    html = client.get("/portal/mandates").get_data(as_text=True)
    history = html.split('data-testid="mandate-history"', 1)[1]
    assert "Syndicus Van Rompaey" in history and f'data-association="{KNOWN_ASSOCIATION}"' in history
    assert "BCE-2026-1" in page_text(client.get(f"/portal/mandates/{row.id}"))
