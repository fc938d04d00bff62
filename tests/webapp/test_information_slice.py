"""The Information dossier through the web pages: open it, register the request, answer, and read
the dossier's phase and history; plus what people see when something gets in the way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.cases.models import Dossier
from engine.db import Database
from engine.workflow.models import HumanTask, HumanTaskState
from engine.workflow.runtime import StaleInstance
from tests.webapp.support import VALID_ANSWER, VALID_REQUEST, login, page_text


def open_information_dossier(client: FlaskClient, title: str = "Roof insulation question") -> str:
    response = client.post("/dossiers/new/information",
                           data={"title": title, "description": "Asked at the counter on Monday."})
    assert response.status_code == 302, page_text(response)
    return response.headers["Location"]


def ready_task(db: Database, bpmn_id: str) -> HumanTask:
    with db.transaction() as session:
        task = session.scalar(select(HumanTask).where(HumanTask.bpmn_id == bpmn_id,
                                                      HumanTask.state == HumanTaskState.READY))
        assert task is not None, f"no ready task {bpmn_id}"
        return task


def checked_values(html: str, name: str) -> set[str]:
    return set(re.findall(rf'name="{name}" value="([^"]+)"\s*checked', html))


@pytest.fixture
def worker(make_user) -> User:
    return make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")


@pytest.fixture
def signed_in(client: FlaskClient, worker: User) -> FlaskClient:
    login(client, worker)
    return client


def test_the_whole_information_dossier(signed_in: FlaskClient, db: Database) -> None:
    client = signed_in
    dossier_url = open_information_dossier(client)
    dossier_page = page_text(client.get(dossier_url))
    assert re.search(r"INF-\d{4}-00001 Roof insulation question", dossier_page)
    assert "Phase Request" in dossier_page

    # The first task waits in the front-desk queue, on "My tasks".
    tasks_page = client.get("/tasks/")
    assert "Register the request" in page_text(tasks_page)
    register = ready_task(db, "register_request")
    assert f'/tasks/{register.id}"' in tasks_page.get_data(as_text=True)

    # The generic form: labels, required marks, help linked with aria-describedby.
    form = client.get(f"/tasks/{register.id}").get_data(as_text=True)
    assert '<label for="field-question_summary">Question summary' in form
    assert 'aria-describedby="field-request_date-help"' in form
    assert '<input type="date" id="field-first_action_date" name="first_action_date" required' in form
    assert 'name="csrf_token"' in form

    # An invalid submission shows every problem next to its field and keeps what was typed.
    invalid = client.post(f"/tasks/{register.id}", data={
        "question_types": ["technical_question", "not_a_type"],
        "question_summary": "Can I insulate my roof from the inside?",
        "request_date": "2026-03-06",
        "source": "",
        "first_action": "called_back",
        "first_action_date": "2026-03-02",
    })
    assert invalid.status_code == 422
    html = invalid.get_data(as_text=True)
    text = page_text(invalid)
    assert "Some fields need your attention; nothing was saved yet." in text
    assert 'id="field-source-error"' in html and 'aria-invalid="true"' in html
    assert "The first action cannot come before the request" in text
    assert 'aria-describedby="field-first_action_date-help field-first_action_date-error"' in html
    assert "Can I insulate my roof from the inside?</textarea>" in html
    assert checked_values(html, "question_types") == {"technical_question"}
    assert 'id="field-question_types-error"' in html
    assert "Question types: Choose one of the proposed values." in text
    assert 'value="2026-03-06"' in html
    assert ready_task(db, "register_request").id == register.id  # nothing advanced

    # A valid submission completes the task and the dossier moves to the next phase.
    done = client.post(f"/tasks/{register.id}", data=VALID_REQUEST)
    assert done.status_code == 302
    assert done.headers["Location"] == dossier_url
    after_first = page_text(client.get(dossier_url))
    assert "“Register the request” is done." in after_first
    assert "Phase Dossier" in after_first
    assert "Lead time to the first action 4 working days" in after_first
    assert "Answer and refer" in after_first

    # The second task: take it from the queue, then complete it.
    answer = ready_task(db, "answer_and_refer")
    claimed = client.post(f"/tasks/{answer.id}/claim", data={"next": "/tasks/"})
    assert claimed.headers["Location"] == "/tasks/"
    mine = page_text(client.get("/tasks/"))
    assert "Assigned to me (1)" in mine and "Waiting in my queues (0)" in mine
    assert client.post(f"/tasks/{answer.id}", data=VALID_ANSWER).status_code == 302

    # The dossier is done, with its history, newest first.
    final = client.get(dossier_url)
    final_text = page_text(final)
    assert "Phase Done" in final_text
    assert "Status Closed" in final_text
    assert "No open task." in final_text
    history = final_text[final_text.index("History"):]
    expected = [
        "Anna Peeters : Dossier closed: every step is done",
        "Anna Peeters : Phase “Done” reached",
        "Anna Peeters : Task “Answer and refer” completed",
        "Anna Peeters : Task “Answer and refer” taken",
        "Anna Peeters : Phase “Dossier” reached",
        "Anna Peeters : Task “Register the request” completed",
        "Anna Peeters : Phase “Request” reached",
        "Anna Peeters : Dossier opened",
    ]
    positions = [history.index(entry) for entry in expected]
    assert positions == sorted(positions)
    # What was entered is shown with labels and choice names, not codes.
    assert "Question types Technical question, Help with a premium application" in history
    assert "Referral for Premium" in history
    assert "Referred to (organisation) Mijn VerbouwPremie" in history
    assert "Date of the request 02 Mar 2026" in history


def test_a_second_person_completing_the_same_task_gets_the_conflict_message(
    app: Flask, make_user, db: Database
) -> None:
    first, second = app.test_client(), app.test_client()
    login(first, make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en"))
    login(second, make_user(Role.CASE_WORKER, name="Bram Janssens", locale="en"))
    open_information_dossier(first)
    task = ready_task(db, "register_request")
    assert first.get(f"/tasks/{task.id}").status_code == 200
    assert second.get(f"/tasks/{task.id}").status_code == 200  # both have the form open

    assert first.post(f"/tasks/{task.id}", data=VALID_REQUEST).status_code == 302
    late_input = {**VALID_REQUEST, "question_summary": "Bram's own summary of the call",
                  "question_types": ["financial_advice"]}
    late = second.post(f"/tasks/{task.id}", data=late_input)

    assert late.status_code == 409
    text = page_text(late)
    assert "“Register the request” was already completed by Anna Peeters" in text
    assert "Your input was not saved; it is still in the form below" in text
    html = late.get_data(as_text=True)
    assert "Bram&#39;s own summary of the call</textarea>" in html
    assert checked_values(html, "question_types") == {"financial_advice"}
    assert "Complete the task</button>" not in html  # sending it again cannot work
    with db.transaction() as session:
        done = session.get(HumanTask, task.id)
        assert session.get(User, done.completed_by_id).name == "Anna Peeters"


def test_a_concurrent_change_is_retried_once_without_bothering_anyone(
    app: Flask, signed_in: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_information_dossier(signed_in)
    task = ready_task(db, "register_request")
    engine = app.extensions["guichet"].engine
    real_complete = engine.complete
    calls: list[int] = []

    def complete_after_one_lost_race(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise StaleInstance("changed meanwhile")
        return real_complete(*args, **kwargs)

    monkeypatch.setattr(engine, "complete", complete_after_one_lost_race)

    response = signed_in.post(f"/tasks/{task.id}", data=VALID_REQUEST)

    assert response.status_code == 302
    assert len(calls) == 2
    assert ready_task(db, "answer_and_refer") is not None


def test_a_change_that_keeps_conflicting_is_explained_and_the_input_kept(
    app: Flask, signed_in: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_information_dossier(signed_in)
    task = ready_task(db, "register_request")
    engine = app.extensions["guichet"].engine

    def always_stale(*args: Any, **kwargs: Any) -> Any:
        raise StaleInstance("changed meanwhile")

    monkeypatch.setattr(engine, "complete", always_stale)

    response = signed_in.post(f"/tasks/{task.id}", data=VALID_REQUEST)

    assert response.status_code == 409
    assert "Someone else changed this dossier at the same moment" in page_text(response)
    html = response.get_data(as_text=True)
    assert "Can I insulate my roof from the inside?</textarea>" in html
    assert "Complete the task</button>" in html  # one click to try again


def test_a_task_taken_by_someone_else_cannot_be_completed(app: Flask, make_user, db: Database) -> None:
    anna, bram = app.test_client(), app.test_client()
    login(anna, make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en"))
    login(bram, make_user(Role.CASE_WORKER, name="Bram Janssens", locale="en"))
    open_information_dossier(anna)
    task = ready_task(db, "register_request")
    anna.post(f"/tasks/{task.id}/claim")

    page = page_text(bram.get(f"/tasks/{task.id}"))
    assert "This task is assigned to Anna Peeters." in page
    refused = bram.post(f"/tasks/{task.id}", data=VALID_REQUEST)
    assert refused.status_code == 403
    assert "Ask a dispatcher to reassign it" in page_text(refused)
    assert bram.post(f"/tasks/{task.id}/release").status_code == 403
    assert "Nothing is assigned to you." in page_text(bram.get("/tasks/"))
    assert "No task is waiting in your queues." in page_text(bram.get("/tasks/"))

    anna.post(f"/tasks/{task.id}/release")
    assert "Waiting in my queues (1)" in page_text(bram.get("/tasks/"))


def test_a_dispatcher_can_release_someone_elses_task(app: Flask, make_user, db: Database) -> None:
    anna, dispatcher = app.test_client(), app.test_client()
    login(anna, make_user(Role.CASE_WORKER, locale="en"))
    login(dispatcher, make_user(Role.DISPATCHER, locale="en"))
    open_information_dossier(anna)
    task = ready_task(db, "register_request")
    anna.post(f"/tasks/{task.id}/claim")

    response = dispatcher.post(f"/tasks/{task.id}/release")

    assert response.status_code == 302
    assert ready_task(db, "register_request").assignee_id is None


def test_a_manager_sees_tasks_but_does_not_take_them(app: Flask, make_user, db: Database) -> None:
    worker, manager = app.test_client(), app.test_client()
    login(worker, make_user(Role.CASE_WORKER, locale="en"))
    login(manager, make_user(Role.MANAGER, locale="en"))
    open_information_dossier(worker)
    task = ready_task(db, "register_request")

    assert "No task is waiting in your queues." in page_text(manager.get("/tasks/"))
    page = manager.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "it is not in one of your queues" in page
    assert "Complete the task</button>" not in page
    assert manager.post(f"/tasks/{task.id}/claim").status_code == 403


def test_opening_a_dossier_needs_a_title(signed_in: FlaskClient, db: Database) -> None:
    response = signed_in.post("/dossiers/new/information", data={"title": " ", "description": "Kept text"})

    assert response.status_code == 422
    assert "Title: This field is required." in page_text(response)
    assert "Kept text</textarea>" in response.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalar(select(Dossier.id)) is None


def test_the_dossier_list_finds_dossiers_by_number_or_title(signed_in: FlaskClient) -> None:
    open_information_dossier(signed_in, "Heat pump question")
    open_information_dossier(signed_in, "Roof question")

    everything = page_text(signed_in.get("/dossiers/"))
    found = page_text(signed_in.get("/dossiers/?q=heat"))

    assert "2 dossiers" in everything
    assert "Heat pump question" in found and "Roof question" not in found
    assert "No dossier matches “zzz”." in page_text(signed_in.get("/dossiers/?q=zzz"))


def test_unknown_pages_answer_404_as_html_or_json(signed_in: FlaskClient) -> None:
    assert signed_in.get("/dossiers/999").status_code == 404
    assert signed_in.get("/tasks/999").status_code == 404
    as_json = signed_in.get("/tasks/999", headers={"Accept": "application/json"})
    assert as_json.status_code == 404
    assert as_json.get_json()["title"] == "Page not found"


def test_opening_explains_when_the_process_is_not_deployed(settings, db: Database, make_user) -> None:
    from webapp import create_app
    from webapp.bootstrap import build_services

    app = create_app(build_services(settings, db), {"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    login(client, make_user(Role.CASE_WORKER, locale="en"))

    response = client.post("/dossiers/new/information", data={"title": "Roof question"})

    assert response.status_code == 503
    assert "The Information process is not deployed yet" in page_text(response)
    assert 'value="Roof question"' in response.get_data(as_text=True)


def test_two_dossiers_drawing_the_same_number_are_both_opened(
    signed_in: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import IntegrityError

    from webapp.dossiers import views

    real_open = views.open_dossier
    attempts: list[int] = []

    def open_after_a_collision(*args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise IntegrityError("INSERT INTO dossiers", {}, Exception("duplicate number"))
        return real_open(*args, **kwargs)

    monkeypatch.setattr(views, "open_dossier", open_after_a_collision)

    assert signed_in.post("/dossiers/new/information", data={"title": "Roof question"}).status_code == 302
    assert len(attempts) == 2
    with db.transaction() as session:
        assert len(session.scalars(select(Dossier)).all()) == 1
