"""An e-mail dropped into the maildir is read by the intake job, shows up in the central queue,
is dispatched to Energy, taken there and turned into an Information dossier, in real Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.access.models import Role, User
from engine.config import Settings
from engine.db import Database
from engine.queues.commands import seed_queues
from engine.queues.models import Queue
from integrations.mail.jobs import fetch_mail
from integrations.mail.maildir import GuichetMaildir
from tests.integrations.mail.messages import PDF, message
from tests.webapp.support import DEFAULT_PASSWORD, create_user

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base: str, user: User) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_mail_from_maildir_to_an_information_dossier(live_server: str, browser_page: Any, db: Database,
                                                      settings: Settings) -> None:
    dispatcher = create_user(db, Role.DISPATCHER, name="Dirk Peeters", locale="en")
    energy_worker = create_user(db, Role.CASE_WORKER, name="Els Janssens", locale="en")
    with db.transaction() as s:
        seed_queues(s)
        s.scalar(select(Queue).where(Queue.code == "energy")).members = [s.get(User, energy_worker.id)]

    GuichetMaildir(settings.maildir_root).drop(message(
        "Premie voor dakisolatie", message_id="browser@citizen.example",
        body="Goedendag,\n\nIk wil mijn dak isoleren. Welke premies zijn er?\n\nJan",
        attachments=[("offerte.pdf", PDF, "application/pdf")]))
    fetch_mail.delay()  # the periodic intake job (eager in tests)

    page = browser_page
    _sign_in(page, live_server, dispatcher)
    page.goto(f"{live_server}/queues/frontdesk")
    unlinked = page.locator("table", has_text="not yet linked to a dossier")
    expect(unlinked).to_contain_text("Premie voor dakisolatie")
    unlinked.get_by_role("link", name="Premie voor dakisolatie").click()
    expect(page.locator("h1")).to_have_text("Premie voor dakisolatie")
    expect(page.locator("pre.mail-body")).to_contain_text("Welke premies zijn er?")
    page.select_option("#to", "energy")
    page.get_by_role("button", name="Dispatch").click()
    expect(page.locator(".flash--success")).to_contain_text("sent to another queue")

    colleague = page.context.browser.new_context(locale="en-GB")
    try:
        energy_page = colleague.new_page()
        energy_page.set_default_timeout(15_000)
        _sign_in(energy_page, live_server, energy_worker)
        energy_page.goto(f"{live_server}/queues/energy")
        row = energy_page.locator("tr", has_text="Premie voor dakisolatie")
        row.get_by_role("button", name="Assign to myself").click()
        expect(energy_page.locator(".flash--success")).to_contain_text("now yours")
        expect(energy_page.locator("tr", has_text="Premie voor dakisolatie")).to_contain_text("Els Janssens")

        energy_page.get_by_role("link", name="Premie voor dakisolatie").click()
        energy_page.select_option("#dossier_type", "information")
        energy_page.get_by_role("button", name="Create a dossier from this e-mail").click()
        expect(energy_page.locator(".flash--success")).to_contain_text(re.compile(r"Dossier INF-\d{4}-\d{5} is open"))
        mails = energy_page.locator("table", has_text="E-mails of this dossier")
        expect(mails).to_contain_text("Premie voor dakisolatie")
        expect(mails).to_contain_text("Jan Peeters")
        energy_page.goto(energy_page.url.split("?")[0] + "?tab=files")
        expect(energy_page.locator("main")).to_contain_text("offerte.pdf")
    finally:
        colleague.close()
