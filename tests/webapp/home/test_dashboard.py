"""The personal dashboard (seed 001 §2.3.1): my tasks with overdue ones first, my e-mails
without and with a dossier, my queues with their open items; each list a view to open."""

from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role
from engine.db import Database
from engine.views.models import SavedView
from tests.webapp.support import login, page_text
from tests.webapp.views.support import add_mail, add_queue_member, add_task, dossier_adder, rows_of

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
SOON = dt.datetime.now(dt.UTC) + dt.timedelta(days=5)


def sections(html: str) -> dict[str, str]:
    """Each dashboard list's title -> its HTML."""
    parts = re.split(r'<section class="dashboard-list"', html)[1:]
    return {re.search(r"<h2[^>]*>(.*?)</h2>", part).group(1): part for part in parts}


def test_the_dashboard_lists_my_work_overdue_first(client: FlaskClient, make_user, db: Database) -> None:
    me, other = make_user(Role.CASE_WORKER, locale="en"), make_user(Role.CASE_WORKER)
    add_queue_member(db, "energy", me.id)
    dossier = dossier_adder(db)("INF-2025-00042", "Roof")
    add_task(db, "Call back", queue="energy", assignee_id=me.id, due=SOON)
    add_task(db, "Send the report", queue="energy", assignee_id=me.id, due=LONG_AGO)
    add_task(db, "Not mine", queue="energy", assignee_id=other.id, due=SOON)
    add_task(db, "Waiting in energy", queue="energy")
    add_mail(db, "Premium question", queue="energy", assignee_id=me.id)
    add_mail(db, "Re: INF-2025-00042", queue="energy", assignee_id=me.id, dossier_id=dossier)
    add_mail(db, "Unassigned", queue="energy")
    login(client, me)

    response = client.get("/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    lists = sections(html)
    assert list(lists) == ["Overdue tasks", "My tasks", "My e-mails without a dossier", "My e-mails with their dossier"]
    assert rows_of(lists["My tasks"]) == ["Send the report", "Call back"]  # overdue first
    assert rows_of(lists["Overdue tasks"]) == ["Send the report"]
    assert "Premium question" in lists["My e-mails without a dossier"]
    assert "Re: INF-2025-00042" not in lists["My e-mails without a dossier"]
    assert "Unassigned" not in html
    assert "Premium question" not in lists["My e-mails with their dossier"]
    assert "INF-2025-00042" in lists["My e-mails with their dossier"]
    text = page_text(response)
    assert "My queues" in text and "Energy (H&E) 4 3 1" in text  # open tasks, open e-mails, overdue
    with db.transaction() as session:
        mine = session.scalar(select(SavedView.id).where(SavedView.seed_key == "tasks.mine"))
    assert f"/views/tasks?view={mine}" in lists["My tasks"]


def test_without_overdue_tasks_that_list_is_left_out(client: FlaskClient, make_user, db: Database) -> None:
    me = make_user(Role.CASE_WORKER, locale="en")
    add_task(db, "Call back", assignee_id=me.id, due=SOON)
    login(client, me)

    lists = sections(client.get("/").get_data(as_text=True))

    assert "Overdue tasks" not in lists
    assert rows_of(lists["My tasks"]) == ["Call back"]
    assert "You are not a member of any queue." in page_text(client.get("/"))


def test_my_own_view_named_like_a_dashboard_list_replaces_it(client: FlaskClient, make_user, db: Database) -> None:
    me = make_user(Role.CASE_WORKER, locale="en")
    add_task(db, "Call back", assignee_id=me.id, due=SOON)
    add_task(db, "Send the report", assignee_id=me.id, due=LONG_AGO)
    login(client, me)
    client.get("/")

    client.post("/views/tasks/save", data={"own": "1", "c": ["name", "due_at"], "f": ["assignee:eq:me"],
                                           "sort": "-name", "name": "My tasks"})

    lists = sections(client.get("/").get_data(as_text=True))
    assert rows_of(lists["My tasks"]) == ["Send the report", "Call back"]  # sorted by name, descending
    with db.transaction() as session:
        own = session.scalar(select(SavedView.id).where(SavedView.owner_id == me.id))
    assert f"/views/tasks?view={own}" in lists["My tasks"]


def test_the_dashboard_pages_ten_rows_then_links_on(client: FlaskClient, make_user, db: Database) -> None:
    me = make_user(Role.CASE_WORKER, locale="en")
    for i in range(12):
        add_task(db, f"Task {i:02d}", assignee_id=me.id, due=SOON + dt.timedelta(hours=i))
    login(client, me)

    my_tasks = sections(client.get("/").get_data(as_text=True))["My tasks"]

    assert len(rows_of(my_tasks)) == 10
    assert 'rel="next"' in my_tasks
