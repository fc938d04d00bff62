"""The task list in real Chromium: filter it, take and release a task, open its form in place,
submit it wrong (the errors show in place) and right (the row leaves), all without reloading."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.access.models import Role
from engine.db import Database
from engine.workflow.models import HumanTask, HumanTaskState
from tests.webapp.support import DEFAULT_PASSWORD, create_user

pytestmark = pytest.mark.browser


def sign_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login?next=/tasks/")
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("My tasks")


def open_information_dossier(page: Any, live_server: str, title: str) -> None:
    page.goto(f"{live_server}/dossiers/new/information")
    page.fill("#field-title", title)
    page.locator("main form.form button[type=submit]").click()
    expect(page.locator(".flash--success")).to_be_visible()


def register_task_ids(db: Database) -> list[int]:
    with db.transaction() as session:
        return list(session.scalars(select(HumanTask.id).where(HumanTask.bpmn_id == "register_request",
                                                               HumanTask.state == HumanTaskState.READY)
                                    .order_by(HumanTask.id)))


def test_filter_take_release_and_complete_in_place(live_server: str, browser_page: Any, db: Database) -> None:
    page = browser_page
    user = create_user(db, Role.CASE_WORKER, name="Anna Peeters", locale="en")
    sign_in(page, live_server, user.email)
    open_information_dossier(page, live_server, "Roof insulation question")
    open_information_dossier(page, live_server, "Heat pump question")
    first, second = register_task_ids(db)

    # filter: the tasks available to me
    page.goto(f"{live_server}/tasks/")
    page.select_option("#filter-assignee", "available")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{live_server}/tasks/?assignee=available&queue=&type=&phase=&due_after=&due_before=")
    expect(page.locator("tbody.task-item")).to_have_count(2)
    page.select_option("#filter-type", "loan")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("tbody.task-item")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("No open task matches these filters.")
    page.goto(f"{live_server}/tasks/?assignee=available")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page reloads

    row = page.locator(f"#task-{first}")
    row.get_by_role("button", name="Take").click()
    expect(row).to_contain_text("is now yours")
    expect(row).to_contain_text("Anna Peeters")
    row.get_by_role("button", name="Release").click()
    expect(row).to_contain_text("is back in its queue")
    expect(row.locator(".task-assignee")).to_have_text("nobody")
    row.get_by_role("button", name="Take").click()
    expect(row.get_by_role("button", name="Release")).to_be_visible()

    # open the form in place; a wrong answer is refused in place, a right one removes the row
    row.get_by_role("link", name="Register the request").click()
    form = row.locator("form.task-form")
    expect(form).to_be_visible()
    form.get_by_label("Technical question").check()
    form.locator("#field-question_summary").fill("Can I insulate my roof from the inside?")
    form.locator("#field-request_date").fill("2026-03-02")
    form.locator("#field-source").select_option("phone")
    form.locator("#field-first_action").select_option("called_back")
    form.locator("#field-first_action_date").fill("2026-03-01")  # before the request: refused
    form.get_by_role("button", name="Complete the task").click()
    expect(row.locator(".error-summary")).to_contain_text("Some fields need your attention")
    expect(row.locator(".field--invalid")).to_contain_text("The first action cannot come before the request")
    expect(row.locator("#field-question_summary")).to_have_value("Can I insulate my roof from the inside?")

    row.locator("#field-first_action_date").fill("2026-03-06")
    row.get_by_role("button", name="Complete the task").click()
    expect(page.locator(f"#task-{first} tr")).to_have_count(0)
    expect(page.locator("#task-list-status")).to_contain_text("is done")
    expect(page.locator(f"#task-{second} tr.task-row")).to_have_count(1)  # the other task stays
    assert page.evaluate("window.stillTheSamePage") is True

    with db.transaction() as session:
        assert session.get(HumanTask, first).state == HumanTaskState.COMPLETED
        assert session.get(HumanTask, second).assignee_id is None


def test_dates_set_in_place(live_server: str, browser_page: Any, db: Database) -> None:
    page = browser_page
    user = create_user(db, Role.CASE_WORKER, name="Anna Peeters", locale="en")
    sign_in(page, live_server, user.email)
    open_information_dossier(page, live_server, "Roof insulation question")
    (task_id,) = register_task_ids(db)
    page.goto(f"{live_server}/tasks/?assignee=available")
    page.evaluate("window.stillTheSamePage = true")
    row = page.locator(f"#task-{task_id}")
    row.get_by_role("button", name="Take").click()
    expect(row.get_by_role("button", name="Release")).to_be_visible()

    row.get_by_role("link", name="Register the request").click()
    row.get_by_label("Follow-up date").fill("2026-11-30")
    row.get_by_role("button", name="Save the dates").click()
    expect(row).to_contain_text("were saved")
    expect(row.locator("tr.task-row")).to_contain_text("30 Nov 2026")
    assert page.evaluate("window.stillTheSamePage") is True
