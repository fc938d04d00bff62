"""Claim, release, open, complete and date a task from the list: with htmx (``HX-Request``) each
answer is the task's part of the list, errors included; without it, a redirect as before."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.db import Database
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState
from tests.webapp.support import VALID_REQUEST, login, page_text

HX = {"HX-Request": "true"}


@pytest.fixture
def anna(make_user) -> User:
    return make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")


@pytest.fixture
def signed_in(client: FlaskClient, anna: User) -> FlaskClient:
    login(client, anna)
    return client


def register_task(client: FlaskClient, db: Database) -> int:
    """Opens an Information dossier; its first task ("Register the request") waits unassigned."""
    response = client.post("/dossiers/new/information", data={"title": "Roof question", "description": "At the desk"})
    assert response.status_code == 302
    with db.transaction() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.bpmn_id == "register_request",
                                                         HumanTask.state == HumanTaskState.READY))


def test_claim_and_release_redraw_the_row(signed_in: FlaskClient, db: Database) -> None:
    task_id = register_task(signed_in, db)

    claimed = signed_in.post(f"/tasks/{task_id}/claim", data={"next": "/tasks/?assignee=none"}, headers=HX)
    assert claimed.status_code == 200
    html = claimed.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tbody id="task-{task_id}"')
    assert "<html" not in html
    text = page_text(claimed)
    assert "is now yours" in text and "Anna Peeters" in text and "Release" in text

    released = signed_in.post(f"/tasks/{task_id}/release", data={"next": "/tasks/"}, headers=HX)
    assert released.status_code == 200
    text = page_text(released)
    assert "is back in its queue" in text and "nobody" in text and "Take" in text


def test_open_in_place_invalid_then_valid(signed_in: FlaskClient, db: Database) -> None:
    task_id = register_task(signed_in, db)
    signed_in.post(f"/tasks/{task_id}/claim", headers=HX)

    opened = signed_in.get(f"/tasks/{task_id}?next=/tasks/", headers=HX)
    assert opened.status_code == 200
    html = opened.get_data(as_text=True)
    assert "<html" not in html and 'id="field-question_summary"' in html
    assert f'hx-post="/tasks/{task_id}"' in html
    # the same page without htmx is the whole task page
    assert "<html" in signed_in.get(f"/tasks/{task_id}").get_data(as_text=True)

    invalid = signed_in.post(f"/tasks/{task_id}", data={"question_summary": "", "next": "/tasks/"}, headers=HX)
    assert invalid.status_code == 422
    assert "<html" not in invalid.get_data(as_text=True)
    assert "Some fields need your attention; nothing was saved yet." in page_text(invalid)
    assert "field--invalid" in invalid.get_data(as_text=True)

    done = signed_in.post(f"/tasks/{task_id}", data={**VALID_REQUEST, "next": "/tasks/"}, headers=HX)
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert re.search(rf'<tbody id="task-{task_id}" class="task-item">\s*</tbody>', html)  # the row leaves
    assert "is done." in page_text(done)
    assert 'id="task-list-status"' in html and 'hx-swap-oob="true"' in html
    with db.transaction() as session:
        assert session.get(HumanTask, task_id).state == HumanTaskState.COMPLETED

    closed = signed_in.get(f"/tasks/{task_id}/row?next=/tasks/", headers=HX)
    assert re.search(rf'<tbody id="task-{task_id}" class="task-item">\s*</tbody>', closed.get_data(as_text=True))


def test_completed_meanwhile_is_told_in_place(signed_in: FlaskClient, db: Database, app, make_user) -> None:
    task_id = register_task(signed_in, db)
    other = app.test_client()
    login(other, make_user(Role.CASE_WORKER, name="Bram Claes", locale="en"))
    assert other.post(f"/tasks/{task_id}", data=VALID_REQUEST).status_code == 302

    late = signed_in.post(f"/tasks/{task_id}", data={**VALID_REQUEST, "question_summary": "Mine"}, headers=HX)

    assert late.status_code == 409
    text = page_text(late)
    assert "was already completed by Bram Claes" in text
    assert "Mine" in late.get_data(as_text=True)  # the input is still there to copy


def test_assigned_to_someone_else_is_told_in_place(signed_in: FlaskClient, db: Database, app, make_user) -> None:
    task_id = register_task(signed_in, db)
    other = app.test_client()
    login(other, make_user(Role.CASE_WORKER, name="Bram Claes", locale="en"))
    other.post(f"/tasks/{task_id}/claim")

    refused = signed_in.post(f"/tasks/{task_id}", data=VALID_REQUEST, headers=HX)
    assert refused.status_code == 403
    assert "This task is assigned to Bram Claes" in page_text(refused)
    taken = signed_in.post(f"/tasks/{task_id}/claim", headers=HX)
    assert "Someone else took this task just before you." in page_text(taken)


def test_due_and_follow_up_dates(signed_in: FlaskClient, db: Database, anna: User) -> None:
    task_id = register_task(signed_in, db)
    signed_in.post(f"/tasks/{task_id}/claim", headers=HX)

    saved = signed_in.post(f"/tasks/{task_id}/dates", data={"due_date": "2026-12-04", "follow_up_date": "2026-11-30"},
                           headers=HX)
    assert saved.status_code == 200
    text = page_text(saved)
    assert "were saved" in text and "04 Dec 2026" in text and "30 Nov 2026" in text
    with db.transaction() as session:
        task = session.get(HumanTask, task_id)
        # the last minute of 4 December and the first of 30 November, in Brussels
        assert task.due_at.isoformat() == "2026-12-04T22:59:00+00:00"
        assert task.follow_up_at.isoformat() == "2026-11-29T23:00:00+00:00"
        event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "task_dates_set"))
        assert event.actor_id == anna.id
    page = signed_in.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'value="2026-12-04"' in page and 'value="2026-11-30"' in page

    wrong = signed_in.post(f"/tasks/{task_id}/dates", data={"due_date": "4/12/2026"}, headers=HX)
    assert wrong.status_code == 422
    assert "“4/12/2026” is not a date: use YYYY-MM-DD" in page_text(wrong)
    assert 'value="4/12/2026"' in wrong.get_data(as_text=True)

    cleared = signed_in.post(f"/tasks/{task_id}/dates", data={"due_date": "", "follow_up_date": "",
                                                             "next": "/tasks/?due=overdue"})
    assert cleared.status_code == 302 and cleared.headers["Location"] == "/tasks/?due=overdue"
    with db.transaction() as session:
        task = session.get(HumanTask, task_id)
        assert (task.due_at, task.follow_up_at) == (None, None)


def test_dates_of_someone_elses_task_are_refused(signed_in: FlaskClient, db: Database, app, make_user) -> None:
    task_id = register_task(signed_in, db)
    other = app.test_client()
    login(other, make_user(Role.CASE_WORKER, name="Bram Claes", locale="en"))
    other.post(f"/tasks/{task_id}/claim")

    refused = signed_in.post(f"/tasks/{task_id}/dates", data={"due_date": "2026-12-04"}, headers=HX)
    assert refused.status_code == 403
    assert "This task is assigned to Bram Claes" in page_text(refused)
    with db.transaction() as session:
        assert session.get(HumanTask, task_id).follow_up_at is None
        assert session.scalar(select(AuditEvent).where(AuditEvent.kind == "task_dates_set")) is None


def test_dates_of_a_closed_task_are_refused(signed_in: FlaskClient, db: Database) -> None:
    task_id = register_task(signed_in, db)
    assert signed_in.post(f"/tasks/{task_id}", data=VALID_REQUEST).status_code == 302

    late = signed_in.post(f"/tasks/{task_id}/dates", data={"due_date": "2026-12-04"}, headers=HX)
    assert late.status_code == 409
    assert "was already completed by Anna Peeters" in page_text(late)
    assert "Save the dates" not in page_text(late)


def test_not_allowed_is_told_in_place(signed_in: FlaskClient, db: Database, app, make_user) -> None:
    task_id = register_task(signed_in, db)
    manager = app.test_client()
    login(manager, make_user(Role.MANAGER, locale="en"))

    refused = manager.post(f"/tasks/{task_id}/claim", headers=HX)
    assert refused.status_code == 403
    assert "You cannot act on this task" in page_text(refused)
    assert "<html" not in refused.get_data(as_text=True)
    assert manager.post(f"/tasks/{task_id}/claim").status_code == 403  # without htmx: the error page
    with db.transaction() as session:
        assert session.get(HumanTask, task_id).assignee_id is None
