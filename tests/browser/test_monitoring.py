"""In real Chromium: a manager opens the phase board, sees the bars drawn by Chart.js, clicks the
bar of a phase and lands on the dossier list showing exactly the open dossiers of that phase;
the phase's link in the table below the chart leads to the same list."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from engine.access.models import Role
from engine.db import Database, utcnow
from engine.workflow.models import InstanceStatus
from tests.engine.monitoring.board_data import BoardData
from tests.webapp.support import DEFAULT_PASSWORD, create_user

pytestmark = pytest.mark.browser


def ago(days: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


def sign_in(page: Any, base: str, user: Any) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Tableau de bord")


def listed_numbers(page: Any) -> list[str]:
    return sorted(page.locator("table.view-table tbody tr td:first-child").all_inner_texts())


def test_a_manager_clicks_a_bar_of_the_phase_board_and_gets_those_dossiers(
        live_server: str, browser_page: Any, db: Database) -> None:
    page = browser_page
    manager = create_user(db, Role.MANAGER, name="Mia Manager")
    with db.transaction() as session:
        data = BoardData(session)
        in_analysis = sorted(data.dossier("loan", [("request", ago(days + 2)), ("analysis", ago(days))]).number
                             for days in (3, 8, 21))
        data.dossier("loan", [("request", ago(4))])
        data.dossier("loan", [("analysis", ago(9)), ("done", ago(1))], status=InstanceStatus.COMPLETED)
        data.dossier("loan", [("analysis", ago(2))], active=False)
        data.dossier("advice", [("request", ago(1)), ("advice", ago(0.5))])

    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/monitoring/")
    expect(page).to_have_url(f"{live_server}/monitoring/phases")
    expect(page.locator("h1")).to_have_text("Tableau des phases")
    canvas = page.locator("#board-chart-loan")
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()
    page.wait_for_selector("#board-chart-loan[data-drawn]", state="attached")
    # the bars Chart.js drew: the loan flow in order, 1 in Request, 3 in Analysis
    drawn = page.evaluate("""() => {
        const chart = document.querySelector('#board-chart-loan').guichetChart;
        return {labels: chart.data.labels, data: chart.data.datasets[0].data,
                bars: chart.getDatasetMeta(0).data.map(b => ({x: b.x, y: b.y, base: b.base}))};
    }""")
    assert drawn["labels"][:2] == ["Demande", "Analyse"] and len(drawn["labels"]) == 7
    assert drawn["data"] == [1, 3, 0, 0, 0, 0, 0]
    bar = drawn["bars"][1]
    assert bar["base"] - bar["y"] > 20  # a real bar, tall enough to click
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + bar["x"], box["y"] + (bar["y"] + bar["base"]) / 2)

    expect(page).to_have_url(re.compile(r"/views/dossiers\?"))
    expect(page.locator("table.view-table tbody tr")).to_have_count(3)
    assert listed_numbers(page) == in_analysis

    # the same list from the table under the chart
    page.go_back()
    expect(page.locator("h1")).to_have_text("Tableau des phases")
    page.locator("#board-table-loan").get_by_role("link", name="Analyse", exact=True).click()
    expect(page.locator("table.view-table tbody tr")).to_have_count(3)
    assert listed_numbers(page) == in_analysis
