"""The instance viewer and the heat map in real Chromium (the end of the issue's browser
scenario): a dossier starts its process, its viewer marks the start event completed and the
waiting user task active, a click on the task shows its history, the heat map shows the counts."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from engine.access.models import Role
from engine.cases.dossiers import open_dossier
from engine.db import Database
from engine.workflow.models import ProcessInstance
from tests.webapp.support import DEFAULT_PASSWORD, create_user
from webapp.bootstrap import build_services

pytestmark = pytest.mark.browser


def shape(page: Any, element_id: str) -> Any:
    return page.locator(f'g.djs-element[data-element-id="{element_id}"]')


def test_viewer_marks_and_history_then_heat_map(live_server: str, browser_page: Any, db: Database,
                                               settings: Any) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    services = build_services(settings, db)  # the live server deployed the Information process
    with db.transaction() as session:
        dossier = open_dossier(session, services.engine, "information", "Roof insulation question", user_id=None)
        instance_id = dossier.process_instance_id
        version_id = session.get(ProcessInstance, instance_id).process_version_id
    user = create_user(db, Role.MANAGER, name="Mia Manager", locale="en")

    page.goto(f"{live_server}/login?next=/instances/{instance_id}")
    page.fill("#email", user.email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("body[data-instances-ready=true]")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text("Information dossier")

    # the start event is completed, the user task where the token waits is active
    expect(shape(page, "start")).to_have_class(lambda_has("gi-completed"))
    expect(shape(page, "register_request")).to_have_class(lambda_has("gi-active"))
    expect(shape(page, "answer_and_refer")).not_to_have_class(lambda_has("gi-active"))
    expect(page.locator("g.djs-element.gi-incident")).to_have_count(0)
    expect(page.locator("#instances-panel")).to_contain_text("Click an element")

    # a click on the task shows its history: entered, still here, and (a manager) its data
    box = shape(page, "register_request").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
    panel = page.locator("#instances-panel")
    expect(panel.locator("h2")).to_contain_text("History of Register the request")
    expect(panel.locator(".instances-visit")).to_have_count(1)
    expect(panel).to_contain_text("still here")
    expect(panel.locator("table.instances-kv caption")).to_contain_text("Data in")
    expect(page.locator("#instances-element")).to_have_value("register_request")

    # without a mouse: the element list shows the start event's history
    page.select_option("#instances-element", "start")
    expect(panel.locator("h2")).to_contain_text("History of Citizen asks a question")
    expect(panel).to_contain_text("completed")

    # the heat map of the version: one waits at the user task, one passed the start event
    page.goto(f"{live_server}/instances/versions/{version_id}/heatmap")
    expect(page.locator("body[data-instances-ready=true]")).to_have_count(1)
    figures = page.locator('.gi-heat-figures[data-element-id="register_request"]')
    expect(figures.locator(".gi-heat-waiting")).to_have_text("waits 1")
    expect(figures.locator(".gi-heat-passed")).to_have_text("✓ 0")
    expect(page.locator('.gi-heat-figures[data-element-id="start"] .gi-heat-passed')).to_have_text("✓ 1")
    expect(shape(page, "register_request")).to_have_class(lambda_has("instances-heat-5"))
    row = page.locator('#heatmap-table tr[data-element-id="register_request"] td.num')
    expect(row.nth(0)).to_have_text("0")
    expect(row.nth(1)).to_have_text("1")

    # an intervention from the viewer (a real form with its CSRF token): suspend with a reason
    page.goto(f"{live_server}/instances/{instance_id}")
    page.fill("#suspend-reason", "Waiting for the new form")
    page.locator("#form-suspend button[type=submit]").click()
    expect(page.locator(".flash--success")).to_have_text("The case is suspended.")
    expect(page.locator("#instance-status")).to_have_text("Suspended")
    expect(page.locator("#instance-audit")).to_contain_text("Waiting for the new form")
    assert errors == []


def lambda_has(name: str) -> Any:
    """A class-attribute pattern matching ``name`` among the element's classes."""
    import re

    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")
