"""The report builder in real Chromium (CSRF on): choose two rows and measures, see the chart and
the table, save the report with a monthly mail, open it again from the list."""

from __future__ import annotations

import os
from pathlib import Path

from engine.access.models import Role
from engine.db import Database
from engine.monitoring.reports import SavedReport
from tests.engine.monitoring import reports_support as data
from tests.webapp.support import DEFAULT_PASSWORD, create_user

SCREENSHOTS = os.environ.get("GUICHET_UI_SCREENSHOTS")  # a folder: keep a screenshot of the page


def test_build_save_and_reopen_a_report(live_server: str, browser_page, db: Database) -> None:
    page = browser_page
    manager = create_user(db, Role.MANAGER, email="report.manager@guichet.test", locale="en")
    with db.transaction() as session:
        mechelen = data.address(session, "Mechelen", "house")
        data.information(session, "2026-01-05", "2026-01-07", phase="file", site=mechelen)
        data.information(session, "2026-01-10", "2026-01-20", phase="done", closed="2026-01-25")
        data.dossier(session, "premiums", created="2026-01-03", phase="p30_decision",
                     facts={"premium_granted_amount": (1250.5, "2026-01-15")})

    page.goto(f"{live_server}/login")
    page.fill("#email", manager.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()

    page.goto(f"{live_server}/monitoring/reports?period=all")
    page.select_option("#report-row-1", "type")
    page.select_option("#report-row-2", "phase")
    page.get_by_label("Premiums granted (EUR)").check()
    page.get_by_role("button", name="Show the report").click()

    table = page.locator("#report-table")
    assert table.locator("tbody tr").count() == 3
    assert "Premiums & subsidies" in table.inner_text() and "30. Decision" in table.inner_text()
    # Chart.js drew the first measure on the canvas
    page.wait_for_selector("#report-chart[data-drawn]", state="attached")
    labels = page.evaluate("document.getElementById('report-chart').guichetChart.data.labels")
    assert labels == ["Information · Dossier", "Information · Done", "Premiums & subsidies · 30. Decision"]

    page.fill("#report-name", "VEKA")
    page.check("#report-monthly")
    page.fill("#report-recipients", "veka@example.org")
    page.get_by_role("button", name="Save", exact=True).click()
    assert "The report “VEKA” is saved." in page.inner_text("body")
    assert page.locator("h1").inner_text() == "VEKA"
    with db.transaction() as session:
        saved = session.query(SavedReport).one()
        assert saved.schedule == "monthly" and saved.definition["rows"] == ["type", "phase"]

    page.goto(f"{live_server}/monitoring/reports")
    page.get_by_role("link", name="VEKA").click()
    assert page.locator("#report-row-2").input_value() == "phase"
    assert page.locator("#report-table tbody tr").count() == 3
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "ui-report-builder.png"), full_page=True)

    # the lead time of Information dossiers, linked from the reports page
    page.get_by_role("link", name="Lead time of Information dossiers").click()
    page.select_option("#mf-period", "all")
    page.get_by_role("button", name="Apply").click()
    assert page.locator("#lead-time-table tbody tr").inner_text().split("\t") == [
        "January 2026", "2", "6 d", "9,2 d"]  # numbers the Belgian way
    page.wait_for_selector("#lead-time-chart[data-drawn]", state="attached")
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "ui-lead-time.png"), full_page=True)
