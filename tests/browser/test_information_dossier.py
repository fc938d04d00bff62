"""A case worker handles an Information dossier from start to end in a real browser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from engine.access.models import Role
from engine.db import Database
from tests.webapp.support import DEFAULT_PASSWORD, create_user

pytestmark = pytest.mark.browser


def submit_main_form(page: Any) -> None:
    """Click the submit button of the page's form (not the language buttons of the header)."""
    page.locator("main form.form button[type=submit]").click()


def test_a_case_worker_opens_and_closes_an_information_dossier(
    live_server: str, browser_page: Any, db: Database
) -> None:
    page = browser_page
    user = create_user(db, Role.CASE_WORKER, name="Anna Peeters")

    page.goto(f"{live_server}/tasks/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    submit_main_form(page)
    expect(page.locator("h1")).to_have_text("Mes tâches")

    page.get_by_role("link", name="Nouveau dossier Informations").click()
    page.fill("#field-title", "Question sur l'isolation du toit")
    page.fill("#field-description", "Posée au guichet lundi.")
    submit_main_form(page)
    expect(page.locator("#dossier-phase")).to_have_text("Demande")
    expect(page.locator(".flash--success")).to_contain_text("est ouvert")

    page.get_by_role("link", name="Enregistrer la demande").click()
    expect(page.locator("h1")).to_have_text("Enregistrer la demande")
    page.get_by_label("Question technique").check()
    page.get_by_label("Assistance pour la demande de prime").check()
    page.fill("#field-question_summary", "Peut-on isoler le toit par l'intérieur ?")
    page.fill("#field-request_date", "2026-03-02")
    page.select_option("#field-source", "phone")
    page.select_option("#field-first_action", "called_back")
    page.fill("#field-first_action_date", "2026-03-06")
    submit_main_form(page)

    expect(page.locator("#dossier-phase")).to_have_text("Dossier")
    expect(page.locator("main")).to_contain_text("4 jours ouvrables")
    page.get_by_role("link", name="Répondre et orienter").click()
    page.fill("#field-answer", "Guide d'isolation et conditions de la prime envoyés.")
    page.select_option("#field-referral_product", "premium")
    page.fill("#field-referral_organisation", "Mijn VerbouwPremie")
    submit_main_form(page)

    expect(page.locator("#dossier-phase")).to_have_text("Terminé")
    expect(page.locator("#dossier-status")).to_have_text("Clôturé")
    trail = page.locator("#audit-trail")
    expect(trail).to_contain_text("Dossier clôturé : toutes les étapes sont faites")
    expect(trail).to_contain_text("Tâche « Répondre et orienter » terminée")
    expect(trail).to_contain_text("Phase « Dossier » atteinte")
    expect(trail.locator(".trail__entry").last).to_contain_text("Anna Peeters")
    expect(trail.locator(".trail__entry").last).to_contain_text("Dossier ouvert")
    trail.locator("details summary").first.click()
    expect(trail.locator("details").first).to_contain_text("Prime")
