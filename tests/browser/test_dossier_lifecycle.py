"""A dossier's whole life in a real browser: opened from the "New dossier" page, a contact in a
role, the site address from the address register (never typed), its tasks done through their
forms until the phase bar shows it done, and a follow-up dossier that shares the journey's
contact and address.

Set GUICHET_UI_SCREENSHOTS to a folder to keep full-page screenshots of the pages visited (for a
review of the pages by eye); without it nothing is written."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.access.models import Role, User
from engine.cases.dossiers import open_dossier
from engine.cases.models import DossierType
from engine.config import Settings
from engine.db import Database
from engine.parties.commands import create_contact
from engine.parties.involvement import add_party
from engine.places.addresses import set_site_address
from engine.places.models import Address
from integrations.addresses.importer import SAMPLE, import_file
from tests.webapp.support import DEFAULT_PASSWORD, ROOT, create_user
from webapp.bootstrap import build_services

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("GUICHET_UI_SCREENSHOTS", "")


def snap(page: Any, name: str) -> None:
    """A full-page screenshot ``ui-<name>.png`` when GUICHET_UI_SCREENSHOTS names a folder."""
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"ui-{name}.png"), full_page=True)
        (Path(SCREENSHOTS) / f"ui-{name}.txt").write_text(page.inner_text("body"), encoding="utf-8")


def submit_main_form(page: Any) -> None:
    """Click the submit button of the page's form (not the language buttons of the header)."""
    page.locator("main form.form button[type=submit]").last.click()


def import_address_register(db: Database) -> None:
    with db.transaction() as session:
        result = import_file(session, SAMPLE)
    assert result.created > 600, result


def journey_with_contact_and_address(settings: Settings, db: Database, user: User) -> tuple[int, str]:
    """An Information dossier opened through the engine, with Lies Janssens (owner-occupant, main
    contact) and the site address Bruul 13 bus 101 from the register; also deploys the Execution
    process for its follow-up. Returns the dossier's id and number."""
    services = build_services(settings, db)
    with db.transaction() as session:
        path = ROOT / "bpmn" / "dossiers" / "execution.bpmn"
        services.engine.deploy(session, path.read_text(), "bpmn/dossiers/execution.bpmn")
    with db.transaction() as session:
        dossier = open_dossier(session, services.engine, DossierType.INFORMATION, "Rénovation, Bruul 13",
                               user_id=user.id)
        contact = create_contact(session, {"first_name": "Lies", "last_name": "Janssens",
                                           "email": "lies.janssens@example.be"}, user.id)
        add_party(session, dossier.id, "owner_occupant", user.id, contact_id=contact.id, main=True)
        address_id = session.scalar(select(Address.id).where(
            Address.street == "Bruul", Address.house_number == "13", Address.box_number == "101"))
        set_site_address(session, dossier, address_id, user_id=user.id)
        return dossier.id, dossier.number


def open_tab(page: Any, label: str) -> None:
    """Click a tab of the dossier page (not a link of the main menu with the same words)."""
    page.locator("nav.tabs").get_by_role("link", name=label, exact=True).click()
    expect(page.locator("nav.tabs [aria-current=page]")).to_have_text(label)


def log_in(page: Any, base: str, user: User) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    submit_main_form(page)
    expect(page.locator("h1")).to_have_text("Tableau de bord")


def open_information_dossier(page: Any, title: str) -> str:
    """Open an Information dossier from the "New dossier" page; returns the dossier page's URL."""
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Nouveau dossier",
                                                                      exact=True).click()
    expect(page.locator("h1")).to_have_text("Nouveau dossier")
    page.select_option("#field-dossier_type", "information")
    page.fill("#field-title", title)
    page.fill("#field-description", "Venu au guichet avec les plans de la maison.")
    snap(page, "new-dossier")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    expect(page.locator(".flash--success")).to_contain_text("est ouvert")
    expect(page.locator("#dossier-phase")).to_have_text("Demande")
    return page.url


def add_new_contact(page: Any) -> None:
    """On the Contacts tab: a new contact in the role owner-occupant; the first one is the main contact."""
    open_tab(page, "Contacts")
    expect(page.locator(".tab-panel")).to_contain_text("Aucune personne concernée")
    page.select_option("#new-role", "owner_occupant")
    page.get_by_role("button", name="Nouveau contact").click()
    expect(page.locator("h1")).to_have_text("Nouveau contact")
    page.fill("#field-first_name", "Lies")
    page.fill("#field-last_name", "Janssens")
    page.fill("#field-email", "lies.janssens@example.be")
    page.fill("#field-phone", "+32 15 12 34 56")
    page.select_option("#field-language", "nl")
    submit_main_form(page)
    expect(page.locator(".flash--success")).to_contain_text("Lies Janssens")
    row = page.locator("#dossier-parties tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Lies Janssens")
    expect(row).to_contain_text("Propriétaire-occupant")
    expect(row.locator(".main-contact")).to_be_visible()
    snap(page, "contacts-tab")


def choose_site_address(page: Any) -> None:
    """On the Address tab: postcode 2800 -> a street by its first letters -> house number -> pick."""
    open_tab(page, "Adresse")
    expect(page.locator(".tab-panel")).to_contain_text("Pas encore d'adresse")
    page.get_by_role("link", name="Choisir l'adresse du chantier").click()
    expect(page.locator("h1")).to_have_text("Rechercher dans le registre des adresses")
    # only the register's fields: no free-text address field anywhere on the page
    expect(page.locator("#address-search input[type=text]")).to_have_count(3)
    page.fill("#postcode", "2800")
    expect(page.locator("#municipality")).to_contain_text("Mechelen")  # filled in by the script
    page.fill("#street", "B")  # Befferstraat, Bruul
    page.get_by_role("button", name="Rechercher").click()
    page.locator(".street-choices").get_by_role("link", name="Bruul", exact=True).click()
    expect(page.locator("#street")).to_have_value("Bruul")
    page.fill("#house_number", "13")
    page.get_by_role("button", name="Rechercher").click()
    choices = page.locator("#address-pick input[name=address_id]")
    expect(choices.first).to_be_visible()
    assert choices.count() > 1, "Bruul 13 is an apartment building: several boxes"
    snap(page, "address-search")

    # A free address or an id the register does not know is refused with a clear message.
    first = choices.first
    first.evaluate("radio => { radio.value = 'Bruul 13, 2800 Mechelen'; radio.checked = true; }")
    page.get_by_role("button", name="Utiliser cette adresse").click()
    expect(page.locator(".error-summary")).to_contain_text("Les adresses ne sont jamais saisies à la main")
    choices = page.locator("#address-pick input[name=address_id]")
    choices.first.evaluate("radio => { radio.value = '987654321'; radio.checked = true; }")
    page.get_by_role("button", name="Utiliser cette adresse").click()
    expect(page.locator(".error-summary")).to_contain_text("pas dans le registre des adresses")
    snap(page, "address-refused")

    page.get_by_label("Bruul 13 bus 101, 2800 Mechelen").check()
    page.get_by_role("button", name="Utiliser cette adresse").click()
    expect(page.locator(".flash--success")).to_contain_text("Bruul 13 bus 101")
    expect(page.locator("#site-address")).to_have_text("Bruul 13 bus 101, 2800 Mechelen")
    snap(page, "address-tab")


def complete_information_tasks(page: Any) -> None:
    open_tab(page, "Aperçu")
    page.get_by_role("link", name="Enregistrer la demande").click()
    expect(page.locator("h1")).to_have_text("Enregistrer la demande")
    page.get_by_label("Question technique").check()
    page.fill("#field-question_summary", "Peut-on isoler le toit par l'intérieur ?")
    page.fill("#field-request_date", "2026-03-02")
    page.select_option("#field-source", "counter")
    page.select_option("#field-first_action", "called_back")
    page.fill("#field-first_action_date", "2026-03-03")
    submit_main_form(page)
    expect(page.locator("#dossier-phase")).to_have_text("Dossier")
    page.get_by_role("link", name="Répondre et orienter").click()
    page.fill("#field-answer", "Guide d'isolation envoyé.")
    page.select_option("#field-referral_product", "premium")
    page.fill("#field-referral_organisation", "Mijn VerbouwPremie")
    submit_main_form(page)


def test_a_dossier_from_opening_to_done_with_contact_and_register_address(
    live_server: str, browser_page: Any, db: Database
) -> None:
    page = browser_page
    import_address_register(db)
    user = create_user(db, Role.CASE_WORKER, name="Anna Peeters")
    log_in(page, live_server, user)

    open_information_dossier(page, "Isolation du toit, Bruul 13")
    snap(page, "dossier-overview-new")
    add_new_contact(page)
    choose_site_address(page)
    complete_information_tasks(page)

    expect(page.locator("#dossier-phase")).to_have_text("Terminé")
    expect(page.locator("#dossier-status")).to_have_text("Clôturé")
    steps = page.locator("#dossier-phases li")
    expect(steps).to_have_count(3)
    for index, name in enumerate(("Demande", "Dossier", "Terminé")):
        step = steps.nth(index)
        expect(step).to_contain_text(name)
        expect(step).to_have_class(re.compile(r"\bphase--done\b"))
        expect(step.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d{2}-\d{2}T"))

    trail = page.locator("#audit-trail")
    expect(trail).to_contain_text("Dossier clôturé : toutes les étapes sont faites")
    expect(trail).to_contain_text("Tâche « Enregistrer la demande » terminée")
    expect(trail).to_contain_text("Tâche « Répondre et orienter » terminée")
    expect(trail).to_contain_text("Lies Janssens")
    expect(trail).to_contain_text("Bruul 13")
    expect(trail.locator(".trail__entry").last).to_contain_text("Dossier ouvert")
    snap(page, "dossier-overview-done")


def test_a_follow_up_dossier_shows_the_journey_contact_and_address(
    live_server: str, browser_page: Any, db: Database, settings: Settings
) -> None:
    page = browser_page
    import_address_register(db)
    user = create_user(db, Role.CASE_WORKER, name="Anna Peeters")
    first_id, first_number = journey_with_contact_and_address(settings, db, user)
    first_url = f"{live_server}/dossiers/{first_id}"
    log_in(page, live_server, user)
    page.goto(first_url)

    open_tab(page, "Parcours client")
    page.get_by_role("link", name="Nouveau dossier de suivi").last.click()
    expect(page.locator("h1")).to_have_text("Nouveau dossier de suivi")
    page.select_option("#field-dossier_type", "execution")
    page.fill("#field-title", "Exécution des travaux de toiture")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    follow_up_number = f"{first_number}/2"
    expect(page.locator(".dossier-number")).to_have_text(follow_up_number)
    expect(page.locator("#dossier-phases li")).to_have_count(5)
    snap(page, "follow-up-overview")

    open_tab(page, "Contacts")
    journey = page.locator("#journey-parties")
    expect(journey).to_contain_text("Lies Janssens")
    expect(journey).to_contain_text("Propriétaire-occupant")
    snap(page, "follow-up-contacts-tab")
    open_tab(page, "Adresse")
    expect(page.locator("#site-address")).to_have_text("Bruul 13 bus 101, 2800 Mechelen")
    expect(page.locator(".tab-panel")).to_contain_text(first_number)
    snap(page, "follow-up-address-tab")

    # every tab of the follow-up opens
    open_tab(page, "Parcours client")
    expect(page.locator(".tab-panel table.journey").first).to_contain_text(first_number)
    expect(page.locator(".tab-panel table.journey").last).to_contain_text(follow_up_number)
    snap(page, "journey-tab")
    open_tab(page, "Fichiers")
    expect(page.locator(".tab-panel")).to_contain_text("Ces fichiers appartiennent au parcours")
    snap(page, "files-tab")
    open_tab(page, "Travaux")
    expect(page.locator("section.tab-panel")).to_have_attribute("aria-label", "Travaux")
    snap(page, "works-tab")

    # the contact's page lists both dossiers of the journey
    page.goto(first_url + "?tab=contacts")
    page.locator("#dossier-parties").get_by_role("link", name="Lies Janssens").click()
    expect(page.locator("h1")).to_contain_text("Lies Janssens")
    expect(page.locator("main table")).to_contain_text(first_number)
    expect(page.locator("main table")).to_contain_text(follow_up_number)
    snap(page, "contact-page")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Organisations").click()
    expect(page.locator("h1")).to_have_text("Organisations")
    snap(page, "organisations-list")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Dossiers", exact=True).click()
    expect(page.locator("main table")).to_contain_text(follow_up_number)
    snap(page, "dossier-list")

    # the same follow-up in Dutch
    page.locator("header button[value=nl]").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.get_by_role("link", name=follow_up_number).click()
    expect(page.locator("#dossier-phase")).to_have_text("Aanvraag")
    snap(page, "nl-follow-up-overview")
    open_tab(page, "Contacten")
    expect(page.locator("#journey-parties")).to_contain_text("Lies Janssens")
    snap(page, "nl-contacts-tab")
    open_tab(page, "Adres")
    expect(page.locator("#site-address")).to_have_text("Bruul 13 bus 101, 2800 Mechelen")
    snap(page, "nl-address-tab")
