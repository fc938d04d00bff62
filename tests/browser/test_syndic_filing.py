"""Issue 8 in real Chromium: a syndic signs in, chooses "registration", fills a company syndic
whose decision names a representative, sees the deadline and the fee update as they type (the
supplement disappears once the association is one the BCE knows), attaches the decision extract
and files; the request is in the list. Then a case worker approves (the fee is charged from the
wallet), enters the counter's confirmation, and the syndic sees the mandate in the history.

The case worker's part goes through the back-office pages with Flask's test client on the same
database (its pages have their own tests); the syndic's part only through the browser."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.access.models import Role
from engine.config import Settings
from engine.db import Database
from engine.queues.commands import queue_by_code, seed_queues
from engine.queues.models import queue_members
from engine.syndic.models import MandateRequest, RequestStatus
from engine.workflow.models import HumanTask
from integrations import bce
from tests.portal_support import PORTAL_PASSWORD
from tests.webapp.support import build_app, create_user, login
from tests.webapp.syndic.support import BPMN, PDF, balance, ready_world

pytestmark = pytest.mark.browser

ASSOCIATION = "0850.412.361"  # VME Residentie Dijlezicht in the BCE sample
UNKNOWN = "0850.123.440"  # a valid number the BCE sample does not hold


def _deploy(settings: Settings, db: Database) -> None:
    from webapp.bootstrap import build_services
    from webapp.cli import deploy_files

    services = build_services(settings, db)
    assert deploy_files(services, BPMN, echo=lambda *_a, **_k: None) == 0
    with db.transaction() as session:
        bce.load_sample(session)
        seed_queues(session)


def _preview_total(page: Page, amount: str) -> None:
    expect(page.locator("[data-testid=preview-fee-total]")).to_have_text(f"{amount} EUR")


def test_a_syndic_files_a_registration_and_sees_the_recorded_mandate(browser_page: Any, live_server: str,
                                                                      settings: Settings, db: Database) -> None:
    _deploy(settings, db)
    w = ready_world(db, credit=Decimal("200.00"))
    page: Page = browser_page
    today = dt.date.today()
    start = today + dt.timedelta(days=60)

    page.goto(f"{live_server}/login")
    page.fill("#email", w.manager.username)
    page.fill("#password", PORTAL_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/portal/.*"))
    page.goto(f"{live_server}/portal/organisations")
    page.locator(f"tr[data-organisation='{w.org.id}'] form button[type=submit]").click()

    page.locator("nav a[href$='/portal/mandates']").click()
    page.locator("[data-testid=new-request]").click()
    page.locator("li[data-kind=registration] a").click()
    form = page.locator("#mandate-form[data-ready='1']")
    expect(form).to_be_visible()

    # an association the BCE does not know: the supplement and its VAT are added
    page.fill("#field-association_number", UNKNOWN)
    expect(page.locator("[data-testid=preview-association] [data-known='0']")).to_be_visible()
    _preview_total(page, "137.27")
    page.fill("#field-association_number", ASSOCIATION)
    expect(page.locator("[data-testid=preview-association]")).to_contain_text("VME Residentie Dijlezicht")
    _preview_total(page, "92.50")

    # a company syndic: its fields show, the natural person's hide
    expect(page.locator("[data-field=syndic_enterprise_number]")).to_be_hidden()
    page.check("#field-syndic_kind-legal")
    expect(page.locator("[data-field=syndic_enterprise_number]")).to_be_visible()
    expect(page.locator("[data-field=syndic_person_number]")).to_be_hidden()
    page.fill("#field-syndic_name", "Syndicus Van Rompaey")
    page.fill("#field-syndic_enterprise_number", "0440.937.551")
    page.fill("#field-syndic_address", "Bruul 10, 2800 Mechelen")
    page.fill("#field-syndic_email", "syndic@vanrompaey.example")
    page.select_option("#field-appointed_by", "general_assembly")
    page.fill("#field-decision_date", today.isoformat())
    page.fill("#field-mandate_start", start.isoformat())
    deadline = page.locator("[data-testid=preview-deadline] time")
    expect(deadline).to_have_attribute("data-deadline", re.compile(r"\d{4}-\d{2}-\d{2}"))
    assert dt.date.fromisoformat(deadline.get_attribute("data-deadline") or "") < start

    # the decision names a representative: the representative's fields show, the IPI question hides
    page.check("#field-decision_names_representative-true")
    expect(page.locator("[data-field=representative_name]")).to_be_visible()
    expect(page.locator("[data-field=company_has_ipi]")).to_be_hidden()
    expect(page.locator("[data-testid=preview-representative]")).to_have_attribute("data-case", "named")
    page.fill("#field-representative_name", "Peeters")
    page.fill("#field-representative_first_names", "Jan")
    page.fill("#field-representative_person_number", "85.07.30-033.28")
    page.set_input_files("#field-decision_extract", files=[{"name": "pv-assemblee.pdf",
                                                            "mimeType": "application/pdf", "buffer": PDF}])
    page.locator("[data-testid=file-request]").click()

    expect(page.locator(".flash--success")).to_be_visible()
    with db.transaction() as session:
        row = session.scalars(select(MandateRequest)).one()
        reference, request_id = row.reference, row.id
        assert row.representative_case == "named" and row.syndic_person_number is None
    page.locator("nav a[href$='/portal/mandates']").click()
    expect(page.locator(f"tr[data-reference='{reference}'] [data-status]")).to_have_attribute("data-status",
                                                                                             "submitted")

    # the case worker approves the documents and enters the counter's confirmation
    worker = create_user(db, Role.CASE_WORKER)
    with db.transaction() as session:
        session.execute(queue_members.insert().values(queue_id=queue_by_code(session, "syndic").id,
                                                      user_id=worker.id))
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.form_key == "syndic.review_documents",
                                                            HumanTask.state == "ready"))
    staff = build_app(settings, db).test_client()
    login(staff, worker)
    assert staff.post(f"/tasks/{task_id}", data={"decision": "approve", "reason": ""}).status_code in (200, 302)
    with db.transaction() as session:
        assert session.get(MandateRequest, request_id).status == RequestStatus.FILED
    assert balance(db, w.org.id) == Decimal("107.50")  # 200.00 - 92.50, charged once
    assert staff.post(f"/syndic/requests/{request_id}/confirm",
                      data={"counter_reference": "KBO-2026-0042"}).status_code == 302

    page.reload()
    expect(page.locator(f"tr[data-reference='{reference}'] [data-status]")).to_have_attribute("data-status",
                                                                                             "recorded")
    history = page.locator("[data-testid=mandate-history]")
    expect(history).to_contain_text("Syndicus Van Rompaey")
    expect(history.locator("tr[data-association='0850412361'] [data-current='1']")).to_be_visible()
