"""Queue pages: administration, membership deciding who takes, claim / assign / release /
dispatch from a queue's page, and "Items I am working on"."""

from __future__ import annotations

import html
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.db import Database
from engine.mail.models import Mail
from engine.queues.commands import seed_queues
from engine.queues.models import Queue
from engine.workflow.models import AuditEvent, HumanTask
from tests.webapp.support import login, page_text
from tests.webapp.test_information_slice import open_information_dossier, ready_task
from webapp.mail.queries import QUEUE_PART_CAP


def _client(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    login(client, user)
    return client


def _seed(db: Database, **members: list[User]) -> None:
    with db.transaction() as s:
        seed_queues(s)
        for code, users in members.items():
            queue = s.scalar(select(Queue).where(Queue.code == code))
            queue.members = [s.get(User, u.id) for u in users]


def _queue(db: Database, code: str) -> Queue:
    with db.transaction() as s:
        queue = s.scalar(select(Queue).where(Queue.code == code))
        assert queue is not None
        return queue


def test_administrators_create_edit_and_deactivate_queues(app: Flask, make_user, db: Database) -> None:
    admin = _client(app, make_user(Role.ADMINISTRATOR, locale="en"))
    lea = make_user(Role.CASE_WORKER, name="Lea Claes")
    _seed(db)

    assert "Energy (H&E)" in page_text(admin.get("/queues/admin"))
    created = admin.post("/queues/admin/new", data={
        "code": "solar", "name_fr": "Solaire", "name_nl": "Zonne-energie", "name_en": "Solar",
        "description": "Solar panels", "rules": "First come", "responsible_id": str(lea.id),
        "member_ids": [str(lea.id)]})
    assert created.status_code == 302
    with db.transaction() as s:
        solar = s.scalar(select(Queue).where(Queue.code == "solar"))
        assert (solar.name_nl, solar.responsible_id, [m.id for m in solar.members]) == ("Zonne-energie", lea.id,
                                                                                         [lea.id])
        solar_id = solar.id

    duplicate = admin.post("/queues/admin/new", data={"code": "solar", "name_fr": "x", "name_nl": "x",
                                                      "name_en": "x"})
    assert duplicate.status_code == 422
    assert "Another queue already has this code." in page_text(duplicate)

    edited = admin.post(f"/queues/admin/{solar_id}", data={
        "code": "solar", "name_fr": "Solaire", "name_nl": "Zon", "name_en": "Solar", "active": "1"})
    assert edited.status_code == 302
    with db.transaction() as s:
        solar = s.get(Queue, solar_id)
        assert (solar.name_nl, solar.responsible_id, solar.members, solar.active) == ("Zon", None, [], True)

    assert admin.post(f"/queues/admin/{solar_id}/active", data={"active": "0"}).status_code == 302
    assert _queue(db, "solar").active is False


def test_only_administrators_manage_queues(app: Flask, make_user, db: Database) -> None:
    _seed(db)
    for role in (Role.CASE_WORKER, Role.DISPATCHER, Role.MANAGER):
        client = _client(app, make_user(role))
        assert client.get("/queues/admin").status_code == 403
        assert client.post("/queues/admin/new", data={"code": "x"}).status_code == 403
        queue_id = _queue(db, "energy").id
        assert client.post(f"/queues/admin/{queue_id}/active", data={"active": "0"}).status_code == 403
    assert _queue(db, "energy").active is True


def test_membership_decides_who_takes_from_a_queue(app: Flask, make_user, db: Database) -> None:
    member, outsider = make_user(Role.CASE_WORKER, locale="en"), make_user(Role.CASE_WORKER, locale="en")
    anna, bram = _client(app, member), _client(app, outsider)
    dispatcher = _client(app, make_user(Role.DISPATCHER, locale="en"))
    open_information_dossier(anna)
    task = ready_task(db, "register_request")
    # no queue configured yet: front desk is open to every case worker (the rule before queues)
    assert "Waiting in my queues (1)" in page_text(bram.get("/tasks/"))

    _seed(db, frontdesk=[member])

    assert "Waiting in my queues (1)" in page_text(anna.get("/tasks/"))
    assert "No task is waiting in your queues." in page_text(bram.get("/tasks/"))
    assert bram.post(f"/tasks/{task.id}/claim").status_code == 403
    assert bram.get("/queues/frontdesk").status_code == 403
    assert "Waiting in my queues (1)" in page_text(dispatcher.get("/tasks/"))
    assert "Housing & Energy (H&E) central inbox" in page_text(anna.get("/queues/"))
    assert "Housing & Energy (H&E) central inbox" in page_text(anna.get("/tasks/"))


def test_claim_assign_release_and_dispatch_from_the_queue_page(app: Flask, make_user, db: Database) -> None:
    anna_user = make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")
    bram_user = make_user(Role.CASE_WORKER, name="Bram Janssens", locale="en")
    energy_user = make_user(Role.CASE_WORKER, name="Eva Energy", locale="en")
    anna, bram, eva = _client(app, anna_user), _client(app, bram_user), _client(app, energy_user)
    open_information_dossier(anna)
    task = ready_task(db, "register_request")
    _seed(db, frontdesk=[anna_user, bram_user], energy=[energy_user])

    page = page_text(anna.get("/queues/frontdesk"))
    assert "Register the request" in page and "nobody" in page

    assert anna.post(f"/queues/frontdesk/tasks/{task.id}/claim").status_code == 302
    assert ready_task(db, "register_request").assignee_id == anna_user.id
    assert "Anna Peeters" in page_text(bram.get("/queues/frontdesk"))
    assert "Register the request" in page_text(anna.get("/queues/working"))
    # someone who came too late gets a message, not the task
    late = bram.post(f"/queues/frontdesk/tasks/{task.id}/claim", follow_redirects=True)
    assert "just before you" in page_text(late) or "taken by someone else" in page_text(late)
    assert ready_task(db, "register_request").assignee_id == anna_user.id

    assert anna.post("/queues/frontdesk/tasks/assign-selected",
                     data={"assignee_id": str(bram_user.id), "task_id": str(task.id)}).status_code == 302
    assert ready_task(db, "register_request").assignee_id == bram_user.id
    not_a_member = {"assignee_id": str(energy_user.id), "task_id": str(task.id)}
    assert anna.post("/queues/frontdesk/tasks/assign-selected", data=not_a_member).status_code == 400

    assert bram.post(f"/queues/frontdesk/tasks/{task.id}/release").status_code == 302
    assert ready_task(db, "register_request").assignee_id is None

    assert anna.post("/queues/frontdesk/tasks/dispatch-selected",
                     data={"to": "energy", "task_id": str(task.id)}).status_code == 302
    assert ready_task(db, "register_request").queue == "energy"
    assert "Register the request" in page_text(eva.get("/queues/energy"))
    assert "Waiting in my queues (1)" in page_text(eva.get("/tasks/"))
    assert "No task is waiting in your queues." in page_text(anna.get("/tasks/"))
    with db.transaction() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.kind == "task_dispatched"))
        assert (event.actor_id, event.detail["from"], event.detail["to"]) == (anna_user.id, "frontdesk", "energy")
    # the task now belongs to the energy queue: the front-desk page no longer acts on it
    assert anna.post(f"/queues/frontdesk/tasks/{task.id}/claim").status_code == 404


def test_a_manager_sees_every_queue_but_does_not_take(app: Flask, make_user, db: Database) -> None:
    worker = make_user(Role.CASE_WORKER, locale="en")
    manager = _client(app, make_user(Role.MANAGER, locale="en"))
    open_information_dossier(_client(app, worker))
    task = ready_task(db, "register_request")
    _seed(db, frontdesk=[worker])

    assert "Loan (H&E)" in page_text(manager.get("/queues/"))
    assert "Register the request" in page_text(manager.get("/queues/frontdesk"))
    assert manager.post(f"/queues/frontdesk/tasks/{task.id}/claim").status_code == 403
    with db.transaction() as s:
        assert s.get(HumanTask, task.id).assignee_id is None


def _open_tasks(db: Database) -> list[HumanTask]:
    with db.transaction() as s:
        tasks = list(s.scalars(select(HumanTask).where(HumanTask.state == "ready").order_by(HumanTask.id)))
        for task in tasks:
            s.expunge(task)
        return tasks


def test_selected_tasks_are_assigned_or_dispatched_together(app: Flask, make_user, db: Database) -> None:
    anna_user = make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")
    bram_user = make_user(Role.CASE_WORKER, name="Bram Janssens", locale="en")
    outsider = make_user(Role.CASE_WORKER, name="Olga Outside", locale="en")
    anna = _client(app, anna_user)
    for _ in range(3):
        open_information_dossier(anna)
    _seed(db, frontdesk=[anna_user, bram_user])
    first, second, third = _open_tasks(db)

    page = anna.get("/queues/frontdesk").get_data(as_text=True)
    assert page.count('name="task_id"') == 3 and 'id="queue-tasks"' in page  # one action bar, no per-row lists

    empty = anna.post("/queues/frontdesk/tasks/assign-selected", data={"assignee_id": str(bram_user.id)},
                      follow_redirects=True)
    assert "Select at least one task first." in page_text(empty)
    assert anna.post("/queues/frontdesk/tasks/assign-selected",
                     data={"assignee_id": str(outsider.id), "task_id": [str(first.id)]}).status_code == 400

    done = anna.post("/queues/frontdesk/tasks/assign-selected", follow_redirects=True,
                     data={"assignee_id": str(bram_user.id), "task_id": [str(first.id), str(second.id)]})
    assert "Tasks assigned: 2." in page_text(done)
    assert [t.assignee_id for t in _open_tasks(db)] == [bram_user.id, bram_user.id, None]

    moved = anna.post("/queues/frontdesk/tasks/dispatch-selected", follow_redirects=True,
                      data={"to": "energy", "task_id": [str(second.id), str(third.id)]})
    assert "Tasks sent to another queue: 2." in page_text(moved)
    assert [t.queue for t in _open_tasks(db)] == ["frontdesk", "energy", "energy"]
    # a task of another queue is not acted on from this queue's page
    again = anna.post("/queues/frontdesk/tasks/dispatch-selected", follow_redirects=True,
                      data={"to": "housing", "task_id": [str(third.id)]})
    assert "Select at least one task first." in page_text(again)
    assert _open_tasks(db)[2].queue == "energy"


def test_a_full_mail_part_links_to_all_its_mails_as_a_view(app: Flask, make_user, db: Database) -> None:
    anna_user = make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")
    _seed(db, frontdesk=[anna_user])
    with db.transaction() as s:
        s.add_all(Mail(message_id=f"many-{n}@x", subject=f"Question {n}", sender="c@x.example", queue="frontdesk")
                  for n in range(QUEUE_PART_CAP + 2))
    anna = _client(app, anna_user)
    page = anna.get("/queues/frontdesk").get_data(as_text=True)
    assert page.count('">Question ') == QUEUE_PART_CAP  # the subject links of the newest rows
    link = re.search(r'<a href="(/views/mails\?[^"]+)">All of them, as a view</a>', page)
    assert link is not None
    listed = page_text(anna.get(html.unescape(link.group(1))))
    assert f"({QUEUE_PART_CAP + 2})" in listed or "Question 0" in listed
