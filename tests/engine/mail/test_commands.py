"""Commands on a mail: each audited, each refusing a stale version, a closed mail, a colleague
outside the queue or an unknown dossier with a clear message and nothing kept."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from engine.access.models import Role, User
from engine.cases.models import Dossier
from engine.config import Settings
from engine.db import Database
from engine.documents.files import delete_file
from engine.documents.models import DossierFile
from engine.mail import commands
from engine.mail.models import Mail, MailAttachment, SendStatus
from engine.queues.commands import seed_queues
from engine.queues.models import Queue
from engine.workflow.errors import NotFound
from engine.workflow.models import AuditEvent
from tests.webapp.support import create_user, deploy_information
from webapp.bootstrap import Services, build_services


@pytest.fixture
def services(settings: Settings, db: Database) -> Services:
    built = build_services(settings, db)
    deploy_information(built)
    return built


@pytest.fixture
def people(db: Database) -> dict[str, User]:
    lea = create_user(db, Role.CASE_WORKER, name="Lea")
    tom = create_user(db, Role.CASE_WORKER, name="Tom")
    outsider = create_user(db, Role.CASE_WORKER, name="Outsider")
    with db.transaction() as s:
        seed_queues(s)
        energy = s.scalar(select(Queue).where(Queue.code == "energy"))
        energy.members = [s.get(User, lea.id), s.get(User, tom.id)]
    return {"lea": lea, "tom": tom, "outsider": outsider}


_numbers = itertools.count(1)


def _mail(db: Database, **values: object) -> int:
    with db.transaction() as s:
        mail = Mail(**{"message_id": f"m{next(_numbers)}@x", "subject": "Dakisolatie",
                       "sender": "jan@citizen.example", "queue": "frontdesk", **values})
        mail.attachments.append(MailAttachment(name="offerte.pdf", content_type="application/pdf", size=3,
                                               sha256="a" * 64))
        s.add(mail)
        s.flush()
        return mail.id


def _events(db: Database, mail_id: int) -> list[tuple[str, dict]]:
    with db.transaction() as s:
        return [(e.kind, e.detail) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.subject_type == "mail", AuditEvent.subject_id == mail_id).order_by(AuditEvent.id))]


def test_dispatch_take_assign_release_close_are_audited(db: Database, people: dict[str, User]) -> None:
    lea, tom = people["lea"], people["tom"]
    mail_id = _mail(db)
    with db.transaction() as s:
        commands.take(s, mail_id, user_id=people["outsider"].id, expected_version=1)
    with db.transaction() as s:
        mail = commands.dispatch(s, mail_id, to_queue="energy", by_user_id=lea.id, expected_version=2)
        assert (mail.queue, mail.assignee_id) == ("energy", None)  # the outsider is no member of Energy
    with db.transaction() as s:
        commands.take(s, mail_id, user_id=lea.id)
    with db.transaction() as s:
        assert commands.assign(s, mail_id, assignee_id=tom.id, by_user_id=lea.id).assignee_id == tom.id
    with db.transaction() as s:
        assert commands.release(s, mail_id, by_user_id=tom.id).assignee_id is None
    with db.transaction() as s:
        assert commands.close(s, mail_id, by_user_id=tom.id).closed_at is not None
    kinds = [kind for kind, _ in _events(db, mail_id)]
    assert kinds == ["mail_taken", "mail_dispatched", "mail_taken", "mail_assigned", "mail_released", "mail_closed"]
    assert _events(db, mail_id)[1][1] == {"from": "frontdesk", "to": "energy",
                                          "previous_assignee": people["outsider"].id, "assignee": None}
    with db.transaction() as s, pytest.raises(commands.MailRefused, match="closed already"):
        commands.take(s, mail_id, user_id=lea.id)


def test_stale_version_and_taken_mail_are_conflicts(db: Database, people: dict[str, User]) -> None:
    mail_id = _mail(db)
    with db.transaction() as s:
        commands.take(s, mail_id, user_id=people["lea"].id, expected_version=1)
    with db.transaction() as s, pytest.raises(commands.MailChanged, match="Someone else changed this e-mail"):
        commands.close(s, mail_id, by_user_id=people["tom"].id, expected_version=1)
    with db.transaction() as s, pytest.raises(commands.MailTaken):
        commands.take(s, mail_id, user_id=people["tom"].id)
    with db.transaction() as s:
        mail = s.get(Mail, mail_id)
        assert (mail.closed_at, mail.assignee_id, mail.lock_version) == (None, people["lea"].id, 2)


def test_concurrent_change_is_detected_at_flush(db: Database, people: dict[str, User]) -> None:
    mail_id = _mail(db)
    first, second = db.sessionmaker(), db.sessionmaker()
    try:
        seen_first = first.get(Mail, mail_id)
        seen_second = second.get(Mail, mail_id)  # kept: the identity map holds loaded objects weakly
        assert seen_first is not None and seen_second is not None
        commands.take(first, mail_id, user_id=people["lea"].id)
        first.commit()
        with pytest.raises(commands.MailChanged):
            commands.dispatch(second, mail_id, to_queue="energy", by_user_id=people["tom"].id)
        second.rollback()
    finally:
        first.close()
        second.close()


def test_assign_refuses_a_colleague_outside_the_queue(db: Database, people: dict[str, User]) -> None:
    mail_id = _mail(db, queue="energy")
    with db.transaction() as s, pytest.raises(commands.MailRefused, match="member of the e-mail's queue"):
        commands.assign(s, mail_id, assignee_id=people["outsider"].id, by_user_id=people["lea"].id)
    with db.transaction() as s, pytest.raises(commands.MailRefused, match="no active queue"):
        commands.dispatch(s, mail_id, to_queue="nowhere", by_user_id=people["lea"].id)
    with db.transaction() as s, pytest.raises(NotFound):
        commands.take(s, 999_999, user_id=people["lea"].id)


def test_link_copies_attachments_once_and_unlink_keeps_files(db: Database, people: dict[str, User]) -> None:
    with db.transaction() as s:
        root = Dossier(number="INF-2026-00042", type="information", title="Roof")
        s.add(root)
        s.flush()
        follow_up = Dossier(number="INF-2026-00042/2", type="advice", title="Advice", journey_id=root.id)
        s.add(follow_up)
        s.flush()
        root_id, follow_up_id = root.id, follow_up.id
    mail_id = _mail(db)
    with db.transaction() as s, pytest.raises(commands.MailRefused, match="no dossier with the number INF-2026-1"):
        commands.link(s, mail_id, number="INF-2026-1", by_user_id=people["lea"].id)
    with db.transaction() as s:
        commands.link(s, mail_id, number=" inf-2026-00042/2 ", by_user_id=people["lea"].id)
    with db.transaction() as s:
        mail = s.get(Mail, mail_id)
        assert (mail.dossier_id, mail.linked_by_id) == (follow_up_id, people["lea"].id)
        files = list(s.scalars(select(DossierFile)))
        assert [(f.dossier_id, f.name, f.sha256) for f in files] == [(root_id, "offerte.pdf", "a" * 64)]
    with db.transaction() as s:
        commands.unlink(s, mail_id, by_user_id=people["lea"].id)
    with db.transaction() as s:
        commands.link(s, mail_id, number="INF-2026-00042", by_user_id=people["lea"].id)
    with db.transaction() as s:
        assert len(list(s.scalars(select(DossierFile)))) == 1  # not copied twice
    kinds = [kind for kind, _ in _events(db, mail_id)]
    assert kinds == ["mail_linked", "mail_unlinked", "mail_linked"]


def test_create_dossier_from_a_mail(db: Database, services: Services, people: dict[str, User]) -> None:
    mail_id = _mail(db)
    with db.transaction() as s:
        dossier = commands.create_dossier(s, services.engine, mail_id, dossier_type="information", title="",
                                          by_user_id=people["lea"].id, expected_version=1)
        number = dossier.number
    with db.transaction() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.number == number))
        assert (dossier.title, dossier.source, dossier.type) == ("Dakisolatie", "email", "information")
        assert dossier.process_instance_id is not None
        assert s.get(Mail, mail_id).dossier_id == dossier.id
        assert s.scalar(select(DossierFile.name).where(DossierFile.dossier_id == dossier.id)) == "offerte.pdf"
    with db.transaction() as s, pytest.raises(commands.MailRefused, match="linked to a dossier already"):
        commands.create_dossier(s, services.engine, mail_id, dossier_type="information", by_user_id=None)
    other = _mail(db)
    with db.transaction() as s, pytest.raises(commands.MailRefused, match="Choose a dossier type"):
        commands.create_dossier(s, services.engine, other, dossier_type="nonsense", by_user_id=None)


def test_reply_is_stored_pending_linked_and_threaded(db: Database, people: dict[str, User]) -> None:
    with db.transaction() as s:
        dossier = Dossier(number="ADV-2026-00007", type="advice", title="Advice")
        s.add(dossier)
        s.flush()
        dossier_id = dossier.id
    mail_id = _mail(db, dossier_id=dossier_id)
    with db.transaction() as s, pytest.raises(commands.MailRefused, match="Write the text"):
        commands.reply(s, mail_id, body="  ", by_user_id=people["lea"].id, mail_from="loket@guichet.local")
    with db.transaction() as s:
        answer = commands.reply(s, mail_id, body="Dag Jan", by_user_id=people["lea"].id,
                                mail_from="loket@guichet.local", expected_version=1)
        answer_id = answer.id
    with db.transaction() as s:
        answer = s.get(Mail, answer_id)
        assert (answer.direction, answer.subject, answer.recipients, answer.in_reply_to) == (
            "out", "Re: Dakisolatie [ADV-2026-00007]", ["jan@citizen.example"], s.get(Mail, mail_id).message_id)
        assert (answer.dossier_id, answer.send_status, answer.assignee_id) == (dossier_id, SendStatus.PENDING,
                                                                                people["lea"].id)
        assert answer.message_id.endswith("@guichet.local") and answer.closed_at is not None
        assert s.get(Mail, mail_id).assignee_id == people["lea"].id
    with db.transaction() as s, pytest.raises(commands.MailRefused, match="Only a received e-mail"):
        commands.reply(s, answer_id, body="x", by_user_id=people["lea"].id, mail_from="a@b")


def test_deleting_a_dossier_file_copied_from_a_mail_keeps_the_shared_blob(
        db: Database, people: dict[str, User]) -> None:
    with db.transaction() as s:
        dossier = Dossier(number="INF-2026-00077", type="information", title="Windows")
        s.add(dossier)
    mail_id = _mail(db)
    with db.transaction() as s:
        commands.link(s, mail_id, number="INF-2026-00077", by_user_id=people["lea"].id)
    with db.transaction() as s:
        row = s.scalar(select(DossierFile))
        assert delete_file(s, row, user_id=people["lea"].id) is False  # the mail still needs it
    with db.transaction() as s:
        s.delete(s.get(Mail, mail_id))
        other = DossierFile(dossier_id=s.scalar(select(Dossier.id)), name="x.pdf", size=3,
                            content_type="application/pdf", sha256="a" * 64)
        s.add(other)
        s.flush()
        assert delete_file(s, other, user_id=people["lea"].id) is True  # nobody else: the blob may go
