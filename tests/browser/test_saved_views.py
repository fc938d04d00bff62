"""In real Chromium: a case worker filters the dossiers, widens a column by dragging it, saves
the view and shares it; the colleague signs in and sees the same rows with the same columns."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from engine.access.models import Role
from engine.db import Database
from tests.webapp.support import DEFAULT_PASSWORD, create_user
from tests.webapp.views.support import dossier_adder

pytestmark = pytest.mark.browser


def sign_in(page: Any, base: str, user: Any) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Tableau de bord")


def table_rows(page: Any) -> list[str]:
    return page.locator("table.view-table tbody tr td:first-child").all_inner_texts()


def test_a_personal_view_with_a_filter_is_saved_shared_and_seen_by_the_colleague(
        live_server: str, browser_page: Any, db: Database) -> None:
    page = browser_page
    anna = create_user(db, Role.CASE_WORKER, name="Anna Peeters")
    bert = create_user(db, Role.CASE_WORKER, name="Bert Maes")
    add = dossier_adder(db)
    add("ADV-2025-00001", "Attic insulation", type="advice", created=dt.date(2025, 2, 1))
    add("ADV-2025-00002", "Boiler", type="advice", created=dt.date(2025, 3, 1))
    add("INF-2025-00003", "Cellar question", created=dt.date(2025, 4, 1))
    add("ADV-2025-00004", "Windows", type="advice", created=dt.date(2025, 5, 1))

    sign_in(page, live_server, anna)
    page.goto(f"{live_server}/views/dossiers")
    expect(page.locator("table.view-table tbody tr")).to_have_count(4)
    page.locator("details.view-editor summary").click()
    page.select_option("#fc-1", "type")
    page.select_option("#fo-1", "eq")
    page.fill("#fv-1", "advice")
    page.select_option("#view-sort", "title")
    page.select_option("#view-dir", "asc")
    page.locator("#view-editor button[type=submit]").click()
    expect(page.locator("table.view-table tbody tr")).to_have_count(3)
    rows = table_rows(page)
    assert rows == ["ADV-2025-00001", "ADV-2025-00002", "ADV-2025-00004"]

    header = page.locator('table.view-table th[data-key="title"]')
    box = header.bounding_box()
    handle = header.locator(".col-resize")
    handle.hover()
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] + 120, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    width = int(page.locator("#w-title").input_value())
    assert width >= box["width"] + 100
    expect(page.locator(".view-state-form input[name=c][value^='title:']").first).to_have_value(f"title:{width}")

    page.fill("#view-name", "Mes dossiers d'avis")
    page.get_by_role("button", name="Enregistrer comme nouvel affichage").click()
    expect(page.locator(".flash--success")).to_contain_text("Mes dossiers d'avis")
    expect(page.locator("h1")).to_contain_text("Mes dossiers d'avis")
    page.get_by_label("Bert Maes").check()
    page.get_by_role("button", name="Partager", exact=True).click()
    expect(page.locator(".flash--success")).to_contain_text("Bert Maes")
    view_url = page.url
    assert re.search(r"view=\d+", view_url)

    page.get_by_role("button", name="Se déconnecter").click()
    sign_in(page, live_server, bert)
    page.goto(f"{live_server}/views/dossiers")
    page.select_option("#view-choice", label="Mes dossiers d'avis (partagé par Anna Peeters)")
    page.locator("form.view-picker button[type=submit]").click()

    expect(page.locator("h1")).to_contain_text("Mes dossiers d'avis")
    expect(page.locator("table.view-table tbody tr")).to_have_count(3)
    assert table_rows(page) == rows
    assert page.locator('table.view-table col[data-key="title"]').get_attribute("style") == f"width: {width}px"
    expect(page.get_by_role("button", name=re.compile("Mettre à jour"))).to_have_count(0)


def test_columns_are_hidden_and_reordered_in_the_column_editor(live_server: str, browser_page: Any,
                                                                db: Database) -> None:
    page = browser_page
    anna = create_user(db, Role.CASE_WORKER, name="Anna Peeters")
    dossier_adder(db)("ADV-2025-00001", "Attic insulation", type="advice")
    sign_in(page, live_server, anna)
    page.goto(f"{live_server}/views/dossiers")
    page.locator("details.view-editor summary").click()

    page.locator('table.column-chooser tr[data-key="status"] input[name=c]').uncheck()
    page.locator('table.column-chooser tr[data-key="title"]').drag_to(
        page.locator('table.column-chooser tr[data-key="number"]'), target_position={"x": 10, "y": 2})
    expect(page.locator("#o-title")).to_have_value("1")
    page.locator("#view-editor button[type=submit]").click()

    headers = page.locator("table.view-table thead th").evaluate_all("cells => cells.map(c => c.dataset.key)")
    assert headers[:2] == ["title", "number"]
    assert "status" not in headers
