"""The task list's filters (the URL contract a benchmark relies on), its order and paging, and
who sees which tasks."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient

from engine.access.models import Role, User
from engine.db import Database
from engine.queues.models import Queue
from tests.webapp.support import login, page_text
from tests.webapp.tasks.support import make_task

NOW = dt.datetime.now(dt.UTC)


def task_ids(response) -> list[int]:
    """The tasks listed in the main section, in order."""
    html = response.get_data(as_text=True)
    main = html.split('id="available"')[0]
    return [int(i) for i in re.findall(r'<tbody id="task-(\d+)"', main)]


@pytest.fixture
def anna(make_user) -> User:
    return make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")


@pytest.fixture
def bram(make_user) -> User:
    return make_user(Role.CASE_WORKER, name="Bram Claes", locale="en")


@pytest.fixture
def signed_in(client: FlaskClient, anna: User) -> FlaskClient:
    login(client, anna)
    return client


def test_my_tasks_by_default_overdue_first_and_highlighted(signed_in, db: Database, anna, bram) -> None:
    later = make_task(db, name="Later", assignee_id=anna.id, due_at=NOW + dt.timedelta(days=5))
    undated = make_task(db, name="Undated", assignee_id=anna.id)
    overdue = make_task(db, name="Late", assignee_id=anna.id, due_at=NOW - dt.timedelta(days=2))
    make_task(db, name="Bram's", assignee_id=bram.id)
    make_task(db, name="Nobody's")

    response = signed_in.get("/tasks/")

    assert response.status_code == 200
    assert task_ids(response) == [overdue, later, undated]
    html = response.get_data(as_text=True)
    row = html.split(f'<tbody id="task-{overdue}"')[1].split("</tbody>")[0]
    assert "task-row--overdue" in row and "overdue" in page_text(signed_in.get("/tasks/"))
    assert "task-row--overdue" not in html.split(f'<tbody id="task-{later}"')[1].split("</tbody>")[0]
    text = page_text(response)
    assert "Assigned to me (3)" in text and "Waiting in my queues (1)" in text


def test_assignee_filters(signed_in, db: Database, anna, bram) -> None:
    mine = make_task(db, assignee_id=anna.id)
    brams = make_task(db, assignee_id=bram.id)
    nobodys = make_task(db)

    assert task_ids(signed_in.get("/tasks/?assignee=none")) == [nobodys]
    assert task_ids(signed_in.get("/tasks/?assignee=available")) == [nobodys]
    assert task_ids(signed_in.get(f"/tasks/?assignee={bram.id}")) == [brams]
    assert sorted(task_ids(signed_in.get("/tasks/?assignee=any"))) == sorted([mine, brams, nobodys])
    assert "Bram Claes" in page_text(signed_in.get(f"/tasks/?assignee={bram.id}"))


def test_queue_type_phase_and_due_filters(signed_in, db: Database, anna) -> None:
    loans = make_task(db, assignee_id=anna.id, queue="coaches", dossier_type="loan", phase="analysis",
                      due_at=dt.datetime(2026, 3, 10, 22, 59, tzinfo=dt.UTC))
    info = make_task(db, assignee_id=anna.id, queue="frontdesk", dossier_type="information", phase="request",
                     due_at=dt.datetime(2026, 3, 20, 22, 59, tzinfo=dt.UTC))
    late = make_task(db, assignee_id=anna.id, due_at=NOW - dt.timedelta(hours=1))

    assert task_ids(signed_in.get("/tasks/?queue=coaches")) == [loans]
    assert task_ids(signed_in.get("/tasks/?type=loan")) == [loans]
    assert task_ids(signed_in.get("/tasks/?phase=analysis")) == [loans]
    assert task_ids(signed_in.get("/tasks/?type=information&phase=request&queue=frontdesk")) == [info, late]
    assert task_ids(signed_in.get("/tasks/?due=overdue")) == [loans, info, late]
    # the day is the day in Brussels, both bounds included
    assert task_ids(signed_in.get("/tasks/?due_before=2026-03-10")) == [loans]
    assert task_ids(signed_in.get("/tasks/?due_before=2026-03-09")) == []
    assert task_ids(signed_in.get("/tasks/?due_after=2026-03-11&due_before=2026-03-20")) == [info]
    assert task_ids(signed_in.get("/tasks/?due_after=2026-03-21&due_before=2026-03-21")) == []


def test_filters_not_understood_say_what_to_fix(signed_in, db: Database, anna) -> None:
    make_task(db, assignee_id=anna.id)
    for query, message in [
        ("due_before=31/03/2026", "“31/03/2026” is not a date: use YYYY-MM-DD"),
        ("type=boats", "“boats” is not a dossier type"),
        ("assignee=someone", "Choose whose tasks to show"),
        ("due=soon", "The due filter only knows “overdue”"),
        ("due_after=2026-04-01&due_before=2026-03-01", "must not come after the last day"),
        ("after=garbage", "This link to the next page is damaged"),
    ]:
        response = signed_in.get(f"/tasks/?{query}")
        assert response.status_code == 400, query
        assert message in page_text(response), query
        assert task_ids(response) == [], query  # nothing rather than a list filtered differently


def test_keyset_paging_continues_where_the_page_stopped(signed_in, db: Database, anna) -> None:
    base = NOW - dt.timedelta(days=1)
    created = [make_task(db, assignee_id=anna.id, created_at=base + dt.timedelta(seconds=i)) for i in range(101)]
    dated = make_task(db, assignee_id=anna.id, due_at=NOW + dt.timedelta(days=1))

    first = signed_in.get("/tasks/")
    assert task_ids(first) == [dated, *created[:99]]
    assert "Assigned to me (100+)" in page_text(first)
    more = re.search(r'<a href="(/tasks/\?after=[^"]+)">More tasks</a>', first.get_data(as_text=True))
    assert more is not None
    second = signed_in.get(more.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert task_ids(second) == created[99:]
    assert "More tasks" not in page_text(second)


def test_a_case_worker_sees_only_the_queues_he_may_take_from(signed_in, db: Database, anna, bram) -> None:
    with db.transaction() as session:
        session.add(Queue(code="loans", name_fr="Prêt", name_nl="Lening", name_en="Loan"))
    foreign = make_task(db, queue="loans", assignee_id=bram.id)
    unassigned_foreign = make_task(db, queue="loans")
    open_one = make_task(db, queue="frontdesk")

    assert task_ids(signed_in.get("/tasks/?assignee=any")) == [open_one]
    assert task_ids(signed_in.get(f"/tasks/?assignee={bram.id}")) == []
    assert task_ids(signed_in.get("/tasks/?assignee=none&queue=loans")) == []
    assert signed_in.get(f"/tasks/{foreign}").status_code == 403
    assert unassigned_foreign not in task_ids(signed_in.get("/tasks/?assignee=available"))


def test_a_manager_sees_every_queue_and_cannot_take(client: FlaskClient, make_user, db: Database, bram) -> None:
    with db.transaction() as session:
        session.add(Queue(code="loans", name_fr="Prêt", name_nl="Lening", name_en="Loan"))
    foreign = make_task(db, queue="loans", assignee_id=bram.id)
    manager = make_user(Role.MANAGER, locale="en")
    login(client, manager)

    response = client.get(f"/tasks/?assignee={bram.id}")
    assert task_ids(response) == [foreign]
    assert "Take" not in page_text(response)


def test_the_list_needs_a_back_office_role(client: FlaskClient, make_user) -> None:
    assert client.get("/tasks/?assignee=none").status_code == 302  # sign in first
    login(client, make_user(Role.PROCESS_DESIGNER, locale="en"))
    assert client.get("/tasks/?assignee=none").status_code == 403
