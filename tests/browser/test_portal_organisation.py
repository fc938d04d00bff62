"""The portal's organisation scenario of issue 7 in real Chromium, through the pages only: a
first person signs up, activates with the code of the outbox mail and creates an organisation by
its enterprise number (becoming its manager); a second person joins it and waits for
confirmation; the manager confirms them and restricts them to one of the organisation's two
buildings; the second person then sees that building and not the other.

Only the grant of the buildings and of the client number is arranged with direct rows: access
requests (the case worker's approval) have their own tests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.config import Settings
from engine.db import Database
from engine.parties.models import Organisation
from engine.portal.models import OrganisationClient
from integrations import bce
from tests.portal_support import building
from tests.webapp.portal.account_support import last_code, mails_to

pytestmark = pytest.mark.browser

PASSWORD = "Correct-Horse-42"
NUMBER = "0850.412.361"  # VME Residentie Dijlezicht in the BCE sample
ORGANISATION = "VME Residentie Dijlezicht"
CLIENT = "C100200"


def _submit(page: Page) -> None:
    page.locator("main form button[type=submit]").first.click()


def _sign_up(page: Page, base: str, settings: Settings, *, first: str, last: str, username: str,
             email: str) -> None:
    """Sign up with a chosen username, activate with the mailed code, land on the sign-in form."""
    page.goto(f"{base}/login")
    page.locator("a[href$='/portal/signup']").click()
    page.fill("#first_name", first)
    page.fill("#last_name", last)
    page.fill("#username", username)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#password_confirmation", PASSWORD)
    _submit(page)
    expect(page.locator("[data-testid=code-sent]")).to_be_visible()
    page.fill("#code", last_code(settings, email))
    _submit(page)
    expect(page.locator(".flash--success")).to_be_visible()  # "your account is active"


def _sign_in(page: Page, base: str, username: str) -> None:
    """Sign in with the username; with no organisation chosen yet, the portal shows My organisations."""
    page.goto(f"{base}/login")
    page.fill("#email", username)
    page.fill("#password", PASSWORD)
    _submit(page)
    page.wait_for_url(re.compile(r".*/portal/.*"))


def _add_organisation(page: Page) -> None:
    page.locator("nav a[href$='/portal/organisations']").click()
    page.locator("main a[href$='/portal/organisations/add']").click()
    page.fill("#field-number", NUMBER)
    _submit(page)
    expect(page.locator("[data-testid=bce-record]")).to_contain_text(ORGANISATION)
    _submit(page)  # "Add this organisation"


def _use_organisation(page: Page, organisation_id: int) -> None:
    page.locator("nav a[href$='/portal/organisations']").click()
    page.locator(f"tr[data-organisation='{organisation_id}'] form button[type=submit]").click()


def _accept_terms(page: Page) -> None:
    expect(page.locator("[data-testid=terms-text]")).to_be_visible()
    page.check("#accept")
    _submit(page)


def test_a_manager_restricts_a_joined_member_to_one_building(browser_page: Any, live_server: str,
                                                             settings: Settings, db: Database) -> None:
    with db.transaction() as session:
        bce.load_sample(session)
    browser = browser_page.context.browser

    # a) the first person signs up and creates the organisation: its manager
    marie = browser_page
    _sign_up(marie, live_server, settings, first="Marie", last="Janssens", username="marie.janssens",
             email="marie@dijlezicht.test")
    _sign_in(marie, live_server, "marie.janssens")
    expect(marie.locator("[data-testid=no-memberships]")).to_be_visible()
    _add_organisation(marie)
    _accept_terms(marie)  # the new organisation's pages ask for the terms first
    with db.transaction() as session:
        org = session.scalar(select(Organisation).where(Organisation.enterprise_number == "0850412361"))
        assert org is not None and org.name == ORGANISATION
        org_id = org.id
    marie.locator("nav a[href$='/portal/organisations']").click()
    mine = marie.locator(f"tr[data-organisation='{org_id}']")
    expect(mine).to_have_attribute("data-status", "active")
    expect(mine.locator(".manager-mark")).to_be_visible()

    # b) the organisation's approved access: its client number and two buildings
    with db.transaction() as session:
        org = session.get(Organisation, org_id)
        session.add(OrganisationClient(organisation_id=org_id, client_number=CLIENT))
        dijle = building(session, client_number=CLIENT, name="Résidence Dijle", granted_to=org)
        zenne = building(session, client_number=CLIENT, name="Résidence Zenne", granted_to=org)
        dijle_code, zenne_code, dijle_id = dijle.code, zenne.code, dijle.id

    # c) a second person signs up and asks to join the same organisation
    tom_context = browser.new_context(locale="fr-BE")
    tom = tom_context.new_page()
    tom.set_default_timeout(15_000)
    _sign_up(tom, live_server, settings, first="Tom", last="Claes", username="tom.claes",
             email="tom@dijlezicht.test")
    _sign_in(tom, live_server, "tom.claes")
    _add_organisation(tom)
    pending = tom.locator(f"tr[data-organisation='{org_id}']")
    expect(pending).to_have_attribute("data-status", "pending")
    expect(pending).to_contain_text("En attente de confirmation")
    expect(pending.locator("form")).to_have_count(0)  # nothing to choose before the confirmation
    assert mails_to(settings, "marie@dijlezicht.test"), "the manager is told of the request by e-mail"
    tom_context.close()

    # d) the manager, in a new session, confirms Tom and restricts him to one building
    marie.context.close()
    marie_context = browser.new_context(locale="fr-BE")
    marie = marie_context.new_page()
    marie.set_default_timeout(15_000)
    _sign_in(marie, live_server, "marie.janssens")
    _use_organisation(marie, org_id)
    marie.locator("nav a[href$='/portal/members']").click()
    waiting = marie.locator("[data-testid=members] tr[data-status=pending]")
    expect(waiting).to_contain_text("Tom Claes")
    mails_before = len(mails_to(settings, "tom@dijlezicht.test"))
    waiting.locator("form[action$='/confirm'] button").click()
    expect(marie.locator(".flash--success")).to_be_visible()
    confirmed = marie.locator("[data-testid=members] tr", has_text="Tom Claes")
    expect(confirmed).to_have_attribute("data-status", "active")
    assert len(mails_to(settings, "tom@dijlezicht.test")) == mails_before + 1  # told of the confirmation
    confirmed.locator("a").click()
    expect(marie.locator("h1")).to_contain_text("Tom Claes")
    form = marie.locator("[data-testid=buildings-form]")
    expect(form.locator("input[name=building]")).to_have_count(2)  # the organisation's two buildings
    form.locator("input[name=scope][value=some]").check()
    form.locator(f"input[name=building][value='{dijle_id}']").check()
    form.locator("button[type=submit]").click()
    expect(marie.locator(".flash--success")).to_be_visible()
    form = marie.locator("[data-testid=buildings-form]")
    expect(form.locator("input[name=scope][value=some]")).to_be_checked()
    expect(form.locator(f"input[name=building][value='{dijle_id}']")).to_be_checked()
    expect(form.locator("input[name=building]:checked")).to_have_count(1)
    marie_context.close()

    # e) Tom chooses the organisation, accepts the terms, gives the client number: one building
    tom_context = browser.new_context(locale="fr-BE")
    tom = tom_context.new_page()
    tom.set_default_timeout(15_000)
    _sign_in(tom, live_server, "tom.claes")
    _use_organisation(tom, org_id)
    _accept_terms(tom)
    tom.fill("#client_number", CLIENT)
    _submit(tom)
    rows = tom.locator("[data-testid=portal-buildings] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-building", dijle_code)
    expect(rows.first).to_contain_text("Résidence Dijle")
    body = tom.locator("main").inner_text()
    assert zenne_code not in body and "Résidence Zenne" not in body
    tom_context.close()
