"""Notes, calls and appointments on a dossier (audited commands that refuse half an activity), and
the timeline that reads them with the dossier's e-mails, tasks and phases, newest first, paged."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from sqlalchemy import select

from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.models import Dossier, DossierPhase
from engine.db import Database
from engine.mail.models import Mail
from engine.parties.models import Contact, InvolvedParty
from engine.timeline.commands import (
    ActivityRefused,
    add_note,
    log_call,
    plan_appointment,
    set_appointment_status,
)
from engine.timeline.models import DossierActivity
from engine.timeline.queries import TimelineCursor, timeline_page
from engine.workflow.errors import NotFound
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, ProcessInstance, ProcessVersion

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
_numbers = itertools.count(1)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def dossier_id(db: Database) -> int:
    number = next(_numbers)
    with db.transaction() as s:
        version = ProcessVersion(key="information", version=number, name="Information", source_name="x.bpmn",
                                 bpmn_xml="<x/>", checksum=f"{number:064d}")
        s.add(version)
        s.flush()
        instance = ProcessInstance(process_version_id=version.id, process_key="information", status="waiting",
                                   state="")
        s.add(instance)
        s.flush()
        dossier = Dossier(number=f"INF-2026-{number:05d}", type="information", title="Roof",
                          process_instance_id=instance.id)
        s.add(dossier)
        s.flush()
        return dossier.id


@pytest.fixture
def user_id(db: Database) -> int:
    with db.transaction() as s:
        return create_user(s, f"ann{next(_numbers)}@guichet.test", "Ann", "Very-secret-1", [Role.CASE_WORKER]).id


def _task(s, dossier: Dossier, name: str, created: dt.datetime, closed: dt.datetime | None = None,
          state: str = HumanTaskState.READY) -> HumanTask:
    task = HumanTask(instance_id=dossier.process_instance_id, task_guid=str(uuid.uuid4()), process_key="information",
                     bpmn_id=name, name=name, state=state, created_at=created, completed_at=closed)
    s.add(task)
    return task


def test_every_kind_in_time_order_newest_first(db: Database, dossier_id: int, user_id: int) -> None:
    with db.transaction() as s:
        dossier = s.get(Dossier, dossier_id)
        other = Dossier(number="INF-2026-99999", type="information", title="Other")
        s.add(other)
        s.flush()
        # one command: "register" completed, the phase changes and "answer" appears, at the same instant
        _task(s, dossier, "register", at(0), at(10), HumanTaskState.COMPLETED)
        s.add(DossierPhase(dossier_id=dossier_id, phase="file", reached_at=at(10)))
        _task(s, dossier, "answer", at(10))
        _task(s, dossier, "dropped", at(1), at(2), HumanTaskState.CANCELLED)
        s.add(Mail(message_id="a@x", subject="Question", direction="in", received_at=at(3), dossier_id=dossier_id))
        s.add(Mail(message_id="b@x", subject="Reply", direction="out", received_at=at(20), dossier_id=dossier_id))
        s.add(Mail(message_id="c@x", subject="Not this dossier", received_at=at(5), dossier_id=other.id))
        s.add(Mail(message_id="d@x", subject="Not linked", received_at=at(6)))
    with db.transaction() as s:
        log_call(s, dossier_id, occurred_at=at(15), direction="incoming", summary="Asked about premiums",
                 contact_name="Mrs Janssens", phone="015 12 34 56", actor_id=user_id)
        plan_appointment(s, dossier_id, starts_at=at(60 * 24), ends_at=None, location="Counter",
                         with_whom="Mrs Janssens", subject="Home visit", actor_id=user_id)
        add_note(s, dossier_id, text="Prefers to be called in the morning.", actor_id=user_id)

    with db.transaction() as s:
        page = timeline_page(s, s.get(Dossier, dossier_id))
        kinds = [e.kind for e in page.entries]
        # the note is written now, after everything else dated March 2026
        assert kinds == ["note", "appointment", "mail", "call", "task_created", "phase", "task_completed",
                         "mail", "task_cancelled", "task_created", "task_created"]
        body = [(e.kind, getattr(e.item, "subject", None) or getattr(e.item, "name", None)) for e in page.entries]
        assert ("mail", "Not this dossier") not in body and ("mail", "Not linked") not in body
        order = [e.key for e in page.entries]
        assert order == sorted(order, reverse=True)
        same_instant = [e.kind for e in page.entries if e.at == at(10)]
        assert same_instant == ["task_created", "phase", "task_completed"]
        assert page.next_cursor is None


def test_paging_across_sources_loses_and_repeats_nothing(db: Database, dossier_id: int, user_id: int) -> None:
    with db.transaction() as s:
        dossier = s.get(Dossier, dossier_id)
        for i in range(30):
            # ties across sources and within one source
            s.add(Mail(message_id=f"m{i}@x", subject=f"mail {i}", received_at=at(i // 2), dossier_id=dossier_id))
            _task(s, dossier, f"task {i}", at(i // 3))
        for i in range(25):
            s.add(DossierActivity(dossier_id=dossier_id, kind="note", body=f"note {i}", occurred_at=at(i // 4)))
    seen: list[tuple] = []
    cursor = None
    pages = 0
    with db.transaction() as s:
        dossier = s.get(Dossier, dossier_id)
        everything = timeline_page(s, dossier, size=500).entries
        while True:
            page = timeline_page(s, dossier, cursor, size=7)
            pages += 1
            assert len(page.entries) <= 7
            seen.extend((e.kind, e.id) for e in page.entries)
            if page.next_cursor is None:
                break
            cursor = TimelineCursor.decode(page.next_cursor.encode())
    assert len(everything) == 85
    assert seen == [(e.kind, e.id) for e in everything]
    assert pages == 13


def test_commands_are_audited(db: Database, dossier_id: int, user_id: int) -> None:
    with db.transaction() as s:
        note = add_note(s, dossier_id, text="  Called back.  ", actor_id=user_id)
        appointment = plan_appointment(s, dossier_id, starts_at=at(0), ends_at=at(60), location="Counter",
                                       with_whom="Mr Peeters", subject="Advice", notes="Bring the EPC",
                                       actor_id=user_id)
    with db.transaction() as s:
        set_appointment_status(s, dossier_id, appointment.id, "done", actor_id=user_id)
    with db.transaction() as s:
        assert s.get(DossierActivity, note.id).body == "Called back."
        assert s.get(DossierActivity, appointment.id).status == "done"
        events = s.scalars(select(AuditEvent).where(AuditEvent.subject_type == "dossier",
                                                    AuditEvent.subject_id == dossier_id).order_by(AuditEvent.id))
        assert [(e.kind, e.actor_id) for e in events] == [
            ("note_added", user_id), ("appointment_planned", user_id), ("appointment_done", user_id)]


@pytest.mark.parametrize(("command", "kwargs", "field", "code"), [
    (add_note, {"text": "   "}, "text", "required"),
    (add_note, {"text": "x" * 4001}, "text", "too_long"),
    (log_call, {"occurred_at": T0, "direction": "sideways", "summary": "x", "contact_name": "A"},
     "direction", "unknown_value"),
    (log_call, {"occurred_at": T0, "direction": "incoming", "summary": "", "contact_name": "A"}, "summary", "required"),
    (log_call, {"occurred_at": T0, "direction": "incoming", "summary": "x"}, "contact_name", "required"),
    (log_call, {"occurred_at": None, "direction": "incoming", "summary": "x", "contact_name": "A"},
     "occurred_at", "required"),
    (plan_appointment, {"starts_at": at(60), "ends_at": at(0), "location": "Counter", "with_whom": "A",
                        "subject": "Advice"}, "ends_at", "ends_before_start"),
    (plan_appointment, {"starts_at": at(60), "ends_at": None, "location": "", "with_whom": "A", "subject": "Advice"},
     "location", "required"),
])
def test_half_an_activity_is_refused(db: Database, dossier_id: int, user_id: int, command, kwargs, field,
                                     code) -> None:
    with db.transaction() as s, pytest.raises(ActivityRefused) as refused:
        command(s, dossier_id, **kwargs, actor_id=user_id)
    assert (refused.value.field, refused.value.code) == (field, code)
    with db.transaction() as s:
        assert s.scalar(select(DossierActivity.id)) is None
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.subject_type == "dossier")) is None


def test_the_contact_must_be_involved_in_the_journey(db: Database, dossier_id: int, user_id: int) -> None:
    with db.transaction() as s:
        involved = Contact(first_name="Eva", last_name="Janssens")
        stranger = Contact(first_name="Tom", last_name="Stranger")
        s.add_all([involved, stranger])
        s.flush()
        s.add(InvolvedParty(dossier_id=dossier_id, contact_id=involved.id, role="owner_occupant", is_main=True))
        follow_up = Dossier(number="INF-2026-00042/2", type="advice", title="Advice", journey_id=dossier_id)
        s.add(follow_up)
        s.flush()
        ids = (involved.id, stranger.id, follow_up.id)
    involved_id, stranger_id, follow_up_id = ids
    with db.transaction() as s:  # a follow-up dossier's calls are with the journey's contacts
        call = log_call(s, follow_up_id, occurred_at=T0, direction="outgoing", summary="Planned the visit",
                        contact_id=involved_id, actor_id=user_id)
        assert call.contact_name is None
    with db.transaction() as s, pytest.raises(ActivityRefused) as refused:
        log_call(s, dossier_id, occurred_at=T0, direction="outgoing", summary="x", contact_id=stranger_id,
                 actor_id=user_id)
    assert refused.value.code == "not_involved"


def test_appointment_status_changes_once(db: Database, dossier_id: int, user_id: int) -> None:
    with db.transaction() as s:
        appointment = plan_appointment(s, dossier_id, starts_at=at(0), ends_at=None, location="Counter",
                                       with_whom="A", subject="Advice", actor_id=user_id)
        note = add_note(s, dossier_id, text="n", actor_id=user_id)
    with db.transaction() as s:
        set_appointment_status(s, dossier_id, appointment.id, "cancelled", actor_id=user_id)
    with db.transaction() as s, pytest.raises(ActivityRefused) as refused:
        set_appointment_status(s, dossier_id, appointment.id, "done", actor_id=user_id)
    assert refused.value.code == "not_planned"
    with db.transaction() as s, pytest.raises(NotFound):
        set_appointment_status(s, dossier_id, note.id, "done", actor_id=user_id)
    with db.transaction() as s, pytest.raises(NotFound):
        add_note(s, 999_999, text="n", actor_id=user_id)
