"""Saving, changing, sharing and deleting views through the pages; system views; the shipped
views; tasks and e-mails shown only to whom they concern."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role
from engine.db import Database
from engine.views.models import SavedView, ViewScope
from tests.webapp.support import login, page_text
from tests.webapp.views.support import add_mail, add_queue_member, add_task, rows_of

STATE = {"own": "1", "c": ["number:140", "title:300"], "f": ["type:eq:advice"], "sort": "-title", "q": ""}


@pytest.fixture
def dossiers(add_dossier: Callable[..., int]) -> None:
    add_dossier("ADV-2024-00001", "Attic", type="advice")
    add_dossier("ADV-2024-00002", "Boiler", type="advice")
    add_dossier("INF-2024-00003", "Cellar")


def _view(db: Database, name: str) -> SavedView:
    with db.transaction() as session:
        view = session.scalar(select(SavedView).where(SavedView.name == name))
        assert view is not None
        session.expunge(view)
        return view


@pytest.mark.usefixtures("dossiers")
def test_a_saved_personal_view_keeps_columns_widths_sort_and_filters(app, client: FlaskClient, make_user,
                                                                     db: Database) -> None:
    owner = make_user(Role.CASE_WORKER, locale="en")
    login(client, owner)

    response = client.post("/views/dossiers/save", data={**STATE, "name": "Advice by title"})

    view = _view(db, "Advice by title")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"view={view.id}")
    assert (view.scope, view.owner_id, view.sort, view.filters) == (ViewScope.PERSONAL, owner.id, "-title",
                                                                   ["type:eq:advice"])
    assert view.columns == [{"key": "number", "width": 140}, {"key": "title", "width": 300}]
    page = client.get(f"/views/dossiers?view={view.id}")
    assert rows_of(page.get_data(as_text=True)) == ["ADV-2024-00002", "ADV-2024-00001"]
    assert "Advice by title" in page_text(page)


@pytest.mark.usefixtures("dossiers")
def test_a_shared_view_is_seen_by_the_colleague_only(app, make_user, db: Database) -> None:
    owner, colleague, stranger = (make_user(Role.CASE_WORKER, locale="en") for _ in range(3))
    owner_client, colleague_client, stranger_client = app.test_client(), app.test_client(), app.test_client()
    login(owner_client, owner)
    login(colleague_client, colleague)
    login(stranger_client, stranger)
    owner_client.post("/views/dossiers/save", data={**STATE, "name": "Team advice"})
    view = _view(db, "Team advice")
    assert stranger_client.get(f"/views/dossiers?view={view.id}").status_code == 400
    assert colleague_client.get(f"/views/dossiers?view={view.id}").status_code == 400

    owner_client.post(f"/views/dossiers/{view.id}/share", data={"colleague": [str(colleague.id)]})

    assert _view(db, "Team advice").scope == ViewScope.SHARED
    seen = colleague_client.get(f"/views/dossiers?view={view.id}")
    assert seen.status_code == 200
    assert rows_of(seen.get_data(as_text=True)) == rows_of(owner_client.get(f"/views/dossiers?view={view.id}")
                                                           .get_data(as_text=True))
    assert f'<option value="{view.id}"' in colleague_client.get("/views/dossiers").get_data(as_text=True)
    assert stranger_client.get(f"/views/dossiers?view={view.id}").status_code == 400
    assert f'<option value="{view.id}"' not in stranger_client.get("/views/dossiers").get_data(as_text=True)
    # the colleague sees it but may not change or delete it
    refused = colleague_client.post(f"/views/dossiers/{view.id}/delete", follow_redirects=True)
    assert "Only the owner of a view changes it" in page_text(refused)
    assert _view(db, "Team advice").id == view.id


@pytest.mark.usefixtures("dossiers")
def test_the_owner_updates_and_deletes_a_view(client: FlaskClient, make_user, db: Database) -> None:
    login(client, make_user(Role.CASE_WORKER, locale="en"))
    client.post("/views/dossiers/save", data={**STATE, "name": "Mine"})
    view = _view(db, "Mine")

    client.post(f"/views/dossiers/{view.id}/update",
                data={"own": "1", "c": ["title", "number"], "sort": "title", "name": "Renamed"})

    changed = _view(db, "Renamed")
    assert (changed.columns, changed.filters, changed.sort) == (
        [{"key": "title", "width": None}, {"key": "number", "width": None}], [], "title")
    response = client.post(f"/views/dossiers/{view.id}/delete", follow_redirects=True)
    assert "The view “Renamed” is deleted." in page_text(response)
    with pytest.raises(AssertionError):
        _view(db, "Renamed")


@pytest.mark.usefixtures("dossiers")
def test_saving_needs_a_name_and_a_valid_definition(client: FlaskClient, make_user, db: Database) -> None:
    login(client, make_user(Role.CASE_WORKER, locale="en"))

    nameless = client.post("/views/dossiers/save", data={**STATE, "name": "  "}, follow_redirects=True)
    broken = client.post("/views/dossiers/save", data={**STATE, "f": ["title:before:x"], "name": "Broken"},
                         follow_redirects=True)

    assert "Give the view a name." in page_text(nameless)
    assert "'before' is not a filter for Title" in page_text(broken)
    with db.transaction() as session:
        assert session.scalar(select(SavedView.id).where(SavedView.seed_key.is_(None))) is None


@pytest.mark.usefixtures("dossiers")
def test_only_an_administrator_makes_a_system_view(app, make_user, db: Database) -> None:
    worker, admin = make_user(Role.CASE_WORKER, locale="en"), make_user(Role.ADMINISTRATOR, locale="en")
    worker_client, admin_client = app.test_client(), app.test_client()
    login(worker_client, worker)
    login(admin_client, admin)

    refused = worker_client.post("/views/dossiers/save", data={**STATE, "name": "For all", "system": "1"},
                                 follow_redirects=True)
    assert "only an administrator a system view" in page_text(refused)
    assert 'name="system"' not in worker_client.get("/views/dossiers").get_data(as_text=True)

    admin_client.post("/views/dossiers/save", data={**STATE, "name": "For all", "system": "1"})
    view = _view(db, "For all")
    assert view.scope == ViewScope.SYSTEM
    assert worker_client.get(f"/views/dossiers?view={view.id}").status_code == 200
    assert "Update" not in page_text(worker_client.get(f"/views/dossiers?view={view.id}"))


def test_the_shipped_views_are_seeded_and_translated(client: FlaskClient, make_user) -> None:
    login(client, make_user(Role.CASE_WORKER, locale="nl"))

    text = page_text(client.get("/views/"))

    assert "Open dossiers" in text or "Openstaande dossiers" in text
    assert "Mijn taken" in text


def test_the_task_list_shows_only_tasks_the_reader_may_take_or_has(app, client: FlaskClient, make_user,
                                                                   db: Database) -> None:
    me, other = make_user(Role.CASE_WORKER, locale="en"), make_user(Role.CASE_WORKER)
    add_queue_member(db, "energy", me.id)
    add_task(db, "Mine in housing", queue="housing", assignee_id=me.id)
    add_task(db, "Free in energy", queue="energy")
    add_task(db, "Colleague's in energy", queue="energy", assignee_id=other.id)
    add_task(db, "Free in housing", queue="housing")  # a queue I am not a member of
    add_task(db, "Overdue in energy", queue="energy", due=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    login(client, me)

    shown = rows_of(client.get("/views/tasks?sort=name").get_data(as_text=True))
    mine = rows_of(client.get("/views/tasks?sort=name&f=assignee:eq:me").get_data(as_text=True))
    overdue = rows_of(client.get("/views/tasks?f=due_at:before:today").get_data(as_text=True))
    nobody = rows_of(client.get("/views/tasks?sort=name&f=assignee:hasnot:").get_data(as_text=True))

    assert shown == ["Colleague's in energy", "Free in energy", "Mine in housing", "Overdue in energy"]
    assert mine == ["Mine in housing"]
    assert overdue == ["Overdue in energy"]
    assert nobody == ["Free in energy", "Overdue in energy"]


def test_my_e_mails_views_split_linked_from_not_linked(client: FlaskClient, make_user, db: Database,
                                                       add_dossier: Callable[..., int]) -> None:
    me = make_user(Role.CASE_WORKER, locale="en")
    dossier = add_dossier("INF-2025-00007", "Roof")
    question = add_mail(db, "Question about premiums", assignee_id=me.id)
    add_mail(db, "Re: INF-2025-00007", assignee_id=me.id, dossier_id=dossier)
    add_mail(db, "Handled", assignee_id=me.id, closed=True)
    add_mail(db, "Someone else's", assignee_id=None)
    login(client, me)
    client.get("/views/")  # seeds the shipped views
    with db.transaction() as session:
        ids = dict(session.execute(select(SavedView.seed_key, SavedView.id)).all())

    unlinked = client.get(f"/views/mails?view={ids['mails.mine_unlinked']}&c=subject")
    linked = client.get(f"/views/mails?view={ids['mails.mine_linked']}&c=subject&c=dossier_number")

    assert rows_of(unlinked.get_data(as_text=True)) == ["Question about premiums"]
    assert f'href="/mails/{question}"' in unlinked.get_data(as_text=True)
    assert rows_of(linked.get_data(as_text=True)) == ["Re: INF-2025-00007"]
    assert "INF-2025-00007" in re.sub(r"<[^>]+>", " ", linked.get_data(as_text=True).split("<tbody>")[-1])


def test_a_view_that_cannot_be_shown_any_more_can_still_be_deleted(client: FlaskClient, make_user,
                                                                    db: Database) -> None:
    owner = make_user(Role.CASE_WORKER, locale="en")
    login(client, owner)
    client.post("/views/dossiers/save", data={**STATE, "name": "Old"})
    view = _view(db, "Old")
    with db.transaction() as session:
        session.get(SavedView, view.id).filters = ["retired_column:eq:x"]  # a column a later version dropped

    page = client.get(f"/views/dossiers?view={view.id}")

    assert page.status_code == 400
    assert "There is no column 'retired_column'" in page_text(page)
    assert "Delete “Old”" in page_text(page)
    client.post(f"/views/dossiers/{view.id}/delete")
    with db.transaction() as session:
        assert session.get(SavedView, view.id) is None
