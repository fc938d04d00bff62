"""The dossier tab "Timeline": what it shows, in which order, paged; adding a note, logging a call
and planning an appointment through the forms, with their errors; and who may do it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.cases.models import Dossier
from engine.db import Database
from engine.mail.models import Mail
from engine.parties.models import Contact, InvolvedParty
from engine.timeline.models import DossierActivity
from engine.workflow.models import AuditEvent
from tests.webapp.support import VALID_REQUEST, login, page_text


@pytest.fixture
def anna(make_user) -> User:
    return make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")


@pytest.fixture
def signed_in(client: FlaskClient, anna: User) -> FlaskClient:
    login(client, anna)
    return client


@pytest.fixture
def dossier_id(signed_in: FlaskClient, db: Database) -> int:
    response = signed_in.post("/dossiers/new/information", data={"title": "Roof question", "description": "Desk"})
    assert response.status_code == 302
    return int(re.search(r"/dossiers/(\d+)", response.headers["Location"]).group(1))


def tab(client: FlaskClient, dossier_id: int, **args: str):
    return client.get(f"/dossiers/{dossier_id}", query_string={"tab": "timeline", **args})


def test_tasks_phases_mails_and_activities_newest_first(signed_in: FlaskClient, db: Database,
                                                        dossier_id: int) -> None:
    from engine.workflow.models import HumanTask
    with db.transaction() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.bpmn_id == "register_request"))
    assert signed_in.post(f"/tasks/{task_id}", data=VALID_REQUEST).status_code == 302
    with db.transaction() as session:
        session.add(Mail(message_id="q@citizen.test", subject="Roof insulation?", sender="eva@citizen.test",
                         sender_name="Eva Janssens", body_text="Can I insulate from the inside?", dossier_id=dossier_id,
                         received_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)))
        session.add(Mail(message_id="r@guichet.test", subject="Re: Roof insulation?", direction="out",
                         recipients=["eva@citizen.test"], dossier_id=dossier_id,
                         received_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)))
    assert signed_in.post(f"/dossiers/{dossier_id}/timeline/note",
                          data={"text": "Prefers calls in the morning."}).status_code == 302

    text = page_text(tab(signed_in, dossier_id))
    expected = ["E-mail sent : Re: Roof insulation? To eva@citizen.test",
                "E-mail received : Roof insulation? From Eva Janssens", "Can I insulate from the inside?",
                "Note by Anna Peeters", "Prefers calls in the morning.",
                "Phase “Dossier” reached", "Task “Answer and refer” created",
                "Task “Register the request” completed by Anna Peeters",
                "Phase “Request” reached", "Task “Register the request” created"]
    positions = [text.find(part) for part in expected]
    assert -1 not in positions, ([p for p, i in zip(expected, positions, strict=True) if i == -1], text)
    assert positions == sorted(positions)


def test_add_a_note_call_and_appointment(signed_in: FlaskClient, db: Database, dossier_id: int, anna: User) -> None:
    with db.transaction() as session:
        contact = Contact(first_name="Eva", last_name="Janssens")
        session.add(contact)
        session.flush()
        session.add(InvolvedParty(dossier_id=dossier_id, contact_id=contact.id, role="owner_occupant", is_main=True))
        contact_id = contact.id

    form = signed_in.get(f"/dossiers/{dossier_id}/timeline/call")
    assert form.status_code == 200
    assert f'<option value="{contact_id}"' in form.get_data(as_text=True)  # the dossier's contacts to choose
    called = signed_in.post(f"/dossiers/{dossier_id}/timeline/call", data={
        "occurred_at": "2026-03-02T09:30", "direction": "incoming", "contact_id": str(contact_id),
        "phone": "015 12 34 56", "summary": "Asked about the roof premium."})
    assert called.status_code == 302
    assert called.headers["Location"].endswith(f"/dossiers/{dossier_id}?tab=timeline")

    planned = signed_in.post(f"/dossiers/{dossier_id}/timeline/appointment", data={
        "subject": "Home visit", "starts_at": "2026-03-10T14:00", "ends_at": "2026-03-10T15:00",
        "location": "Bruul 1, Mechelen", "with_whom": "Eva and her architect", "notes": "Bring the EPC"})
    assert planned.status_code == 302

    text = page_text(tab(signed_in, dossier_id))
    assert "Phone call from Eva Janssens (015 12 34 56) — logged by Anna Peeters" in text
    assert "Asked about the roof premium." in text
    assert "Appointment: Home visit (planned)" in text and "Where: Bruul 1, Mechelen" in text
    with db.transaction() as session:
        call = session.scalar(select(DossierActivity).where(DossierActivity.kind == "call"))
        assert call.occurred_at.isoformat() == "2026-03-02T08:30:00+00:00"  # 9:30 in Brussels
        appointment_id = session.scalar(select(DossierActivity.id).where(DossierActivity.kind == "appointment"))
        kinds = set(session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_type == "dossier",
                                                                  AuditEvent.actor_id == anna.id)))
        assert {"call_logged", "appointment_planned"} <= kinds

    held = signed_in.post(f"/dossiers/{dossier_id}/timeline/appointments/{appointment_id}/done")
    assert held.status_code == 302
    assert "Appointment: Home visit (held)" in page_text(tab(signed_in, dossier_id))
    again = signed_in.post(f"/dossiers/{dossier_id}/timeline/appointments/{appointment_id}/cancelled",
                           follow_redirects=True)
    assert "This appointment is no longer planned" in page_text(again)


def test_errors_per_field_and_nothing_saved(signed_in: FlaskClient, db: Database, dossier_id: int) -> None:
    empty_note = signed_in.post(f"/dossiers/{dossier_id}/timeline/note", data={"text": "  "})
    assert empty_note.status_code == 422
    assert "Note: This field is required." in page_text(empty_note)

    call = signed_in.post(f"/dossiers/{dossier_id}/timeline/call", data={
        "occurred_at": "yesterday", "direction": "incoming", "summary": "Asked"})
    assert call.status_code == 422
    text = page_text(call)
    assert "When: Enter a date and time." in text
    assert "Who was on the phone: Choose the contact or write who was on the phone." in text
    assert 'value="yesterday"' in call.get_data(as_text=True)  # what was typed stays

    appointment = signed_in.post(f"/dossiers/{dossier_id}/timeline/appointment", data={
        "subject": "Visit", "starts_at": "2026-03-10T14:00", "ends_at": "2026-03-10T13:00", "location": "Desk",
        "with_whom": "Eva"})
    assert appointment.status_code == 422
    assert "The end must come after the start." in page_text(appointment)

    stranger = signed_in.post(f"/dossiers/{dossier_id}/timeline/call", data={
        "occurred_at": "2026-03-02T09:30", "direction": "outgoing", "contact_id": "999999", "summary": "x"})
    assert stranger.status_code == 422
    assert "Choose a contact involved in this dossier." in page_text(stranger)
    with db.transaction() as session:
        assert session.scalar(select(DossierActivity.id)) is None


def test_paged_by_fifty(signed_in: FlaskClient, db: Database, dossier_id: int) -> None:
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with db.transaction() as session:
        for i in range(60):
            session.add(DossierActivity(dossier_id=dossier_id, kind="note", body=f"note number {i:02d}",
                                        occurred_at=base + dt.timedelta(hours=i)))
    first = tab(signed_in, dossier_id)
    html = first.get_data(as_text=True)
    assert len(re.findall(r'class="timeline-entry ', html)) == 50
    # the dossier's first phase and task (today) and the 48 newest notes
    assert "Task “Register the request” created" in page_text(first)
    assert "note number 59" in html and "note number 12" in html and "note number 11" not in html
    older = re.search(r'href="([^"]+before=[^"]+)">Older entries', html)
    assert older is not None
    second = signed_in.get(older.group(1).replace("&amp;", "&"))
    html = second.get_data(as_text=True)
    assert "note number 11" in html and "note number 00" in html and "note number 12" not in html
    assert "Older entries" not in page_text(second)
    damaged = tab(signed_in, dossier_id, before="nonsense")
    assert damaged.status_code == 200 and "This link to older entries is damaged" in page_text(damaged)


def test_who_may_add(client: FlaskClient, make_user, db: Database, signed_in: FlaskClient, dossier_id: int) -> None:
    other = client.application.test_client()
    assert other.post(f"/dossiers/{dossier_id}/timeline/note", data={"text": "x"}).status_code == 302  # sign in
    login(other, make_user(Role.PROCESS_DESIGNER, locale="en"))
    assert other.post(f"/dossiers/{dossier_id}/timeline/note", data={"text": "x"}).status_code == 403
    manager = client.application.test_client()
    login(manager, make_user(Role.MANAGER, locale="en"))
    assert manager.post(f"/dossiers/{dossier_id}/timeline/note", data={"text": "Checked"}).status_code == 302
    assert signed_in.post("/dossiers/999999/timeline/note", data={"text": "x"}).status_code == 404
    assert signed_in.post(f"/dossiers/{dossier_id}/timeline/appointments/999999/done").status_code == 404
    with db.transaction() as session:
        assert [a.body for a in session.scalars(select(DossierActivity))] == ["Checked"]
        assert session.get(Dossier, dossier_id) is not None
