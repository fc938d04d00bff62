"""A contact's data export, erasure (anonymisation) and the retention job."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine.accounts.models import OneTimeCode
from engine.db import Database, utcnow
from engine.mail.models import Mail
from engine.notify.outbox import Notification
from engine.parties.models import Contact
from engine.privacy.access_log import entry, write
from engine.privacy.erasure import ErasureRefused, anonymise_contact
from engine.privacy.export import person_document, render_pdf
from engine.privacy.models import AccessLog
from engine.privacy.retention import apply_retention
from engine.timeline.models import DossierActivity
from engine.workflow.models import AuditEvent, InstanceStatus
from tests.engine.privacy.support import contact, dossier, mail, note
from tests.webapp.support import create_user

LABELS = {"title": "Personal data", "contact": "Contact", "dossiers": "Dossiers", "mails": "E-mails",
          "timeline": "Timeline", "files": "Files", "none": "None"}


def _world(db: Database, *, status: str = InstanceStatus.COMPLETED, closed_days_ago: int = 30) -> dict[str, int]:
    with db.transaction() as session:
        person = contact(session)
        closed = dossier(session, person, status=status,
                         completed_at=utcnow() - dt.timedelta(days=closed_days_ago) if status == "completed" else None)
        linked = mail(session, sender="Marie.Dupont@example.be", recipients=["info@guichet.test"], dossier_id=closed.id,
                      body="Here are the invoices")
        loose = mail(session, sender="info@guichet.test", recipients=["marie.dupont@example.be", "x@example.be"],
                     body="Your question")
        mail(session, sender="other@example.be", recipients=["info@guichet.test"], body="not hers")
        activity = note(session, closed, person)
        return {"contact": person.id, "dossier": closed.id, "linked": linked.id, "loose": loose.id,
                "activity": activity.id}


def test_export_holds_everything_about_the_person(db: Database) -> None:
    ids = _world(db)
    with db.transaction() as session:
        document = person_document(session, ids["contact"])
    assert document["contact"]["email"] == "marie.dupont@example.be"
    assert document["contact"]["notes"] == "prefers mornings"
    assert [(d["title"], d["roles"], d["open"]) for d in document["dossiers"]] == [
        (document["dossiers"][0]["title"], ["owner_occupant"], False)]
    assert sorted(m["id"] for m in document["mails"]) == sorted([ids["linked"], ids["loose"]])
    assert {m["dossier"] for m in document["mails"]} == {document["dossiers"][0]["number"], None}
    assert [a["body"] for a in document["timeline"]] == ["Called about the roof"]
    pdf = render_pdf(document, LABELS, compress=False)
    assert pdf.startswith(b"%PDF")
    assert b"marie.dupont@example.be" in pdf and document["dossiers"][0]["number"].encode() in pdf
    assert b"Called about the roof" in pdf


def test_erasure_is_refused_while_a_dossier_is_open(db: Database) -> None:
    ids = _world(db, status=InstanceStatus.WAITING)
    with pytest.raises(ErasureRefused, match="open dossier"), db.transaction() as session:
        anonymise_contact(session, ids["contact"], None)
    with db.transaction() as session:
        assert session.get(Contact, ids["contact"]).email == "marie.dupont@example.be"


def test_erasure_anonymises_and_keeps_the_dossier(db: Database) -> None:
    ids = _world(db)
    officer = create_user(db, "manager", name="Data Officer")
    with db.transaction() as session:
        report = anonymise_contact(session, ids["contact"], officer.id)
    with db.transaction() as session:
        person = session.get(Contact, ids["contact"])
        assert (person.first_name, person.last_name) == ("", f"Anonymised #{person.id}")
        assert (person.email, person.phone, person.notes, person.address_id, person.active) == (
            None, None, None, None, False)
        linked, loose = session.get(Mail, ids["linked"]), session.get(Mail, ids["loose"])
        masked = f"anonymised-{person.id}@invalid"
        # the dossier's mail is a record of a dossier within retention: text kept, address masked
        assert (linked.sender, linked.sender_name, linked.body_text) == (masked, "", "Here are the invoices")
        # the loose mail keeps nothing of her
        assert (loose.recipients, loose.body_text, loose.subject) == ([masked, "x@example.be"], "", "")
        activity = session.get(DossierActivity, ids["activity"])
        assert (activity.contact_name, activity.phone, activity.body) == (
            f"Anonymised #{person.id}", None, "Called about the roof")
        events = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "contact",
                                                          AuditEvent.subject_id == person.id)
                                 .order_by(AuditEvent.id)).all()
        assert events[0].detail == {"erased": True}  # "contact_created" held her name
        assert events[-1].kind == "contact_erased" and events[-1].detail["kept"] == report.kept
        assert "Marie" not in str([e.detail for e in events])
        logged = session.scalars(select(AccessLog).where(AccessLog.action == "erase")).all()
        assert [(r.record_type, r.record_id, r.actor_name) for r in logged] == [
            ("contact", person.id, "Data Officer")]
    assert any("within its retention" in line for line in report.kept)


def test_erasure_past_retention_clears_the_dossier_mails_too(db: Database) -> None:
    ids = _world(db, closed_days_ago=11 * 365)
    with db.transaction() as session:
        anonymise_contact(session, ids["contact"], None)
    with db.transaction() as session:
        assert session.get(Mail, ids["linked"]).body_text == ""


def test_retention_deletes_only_what_is_due(db: Database) -> None:
    now = utcnow()
    user = create_user(db)
    with db.transaction() as session:
        write(session, [entry("view", "contact", 1, at=now - dt.timedelta(days=401)),
                        entry("view", "contact", 2, at=now - dt.timedelta(days=399))])
        old_loose = mail(session, sender="a@example.be", recipients=[], closed_at=now - dt.timedelta(days=200))
        fresh_loose = mail(session, sender="b@example.be", recipients=[], closed_at=now - dt.timedelta(days=10))
        open_loose = mail(session, sender="c@example.be", recipients=[])
        session.add_all([
            Notification(recipient="a@x.be", subject="s", body="b", purpose="p", status="sent",
                         created_at=now - dt.timedelta(days=91)),
            Notification(recipient="b@x.be", subject="s", body="b", purpose="p", status="pending",
                         created_at=now - dt.timedelta(days=91)),
            Notification(recipient="c@x.be", subject="s", body="b", purpose="p", status="sent",
                         created_at=now - dt.timedelta(days=5)),
            OneTimeCode(user_id=user.id, purpose="activation", secret_hash="a" * 64,
                        expires_at=now - dt.timedelta(days=31)),
            OneTimeCode(user_id=user.id, purpose="activation", secret_hash="b" * 64,
                        expires_at=now - dt.timedelta(days=1)),
        ])
    with db.transaction() as session:
        counts = apply_retention(session, now=now)
    assert counts == {"access_log": 1, "unlinked_mails": 1, "notifications": 1, "one_time_codes": 1}
    with db.transaction() as session:
        assert session.scalars(select(AccessLog.record_id)).all() == [2]
        assert sorted(session.scalars(select(Mail.id))) == sorted([fresh_loose.id, open_loose.id])
        assert old_loose.id not in session.scalars(select(Mail.id)).all()
        assert sorted(session.scalars(select(Notification.recipient))) == ["b@x.be", "c@x.be"]
        assert session.scalars(select(OneTimeCode.secret_hash)).all() == ["b" * 64]
        run = session.scalar(select(AuditEvent).where(AuditEvent.subject_type == "retention"))
        assert run.detail == counts


def test_the_daily_job_is_scheduled_and_applies_the_rules(db: Database) -> None:
    from engine.jobs import celery
    from engine.privacy import retention

    retention.configure(db)
    assert celery.conf.beat_schedule[retention.BEAT_ENTRY]["task"] == retention.TASK_NAME
    with db.transaction() as session:
        write(session, [entry("view", "contact", 1, at=utcnow() - dt.timedelta(days=500))])
    assert retention.apply_retention_job()["access_log"] == 1
    assert retention.rules({"GUICHET_RETENTION_ACCESS_LOG_DAYS": "0"})[0].days == 0
