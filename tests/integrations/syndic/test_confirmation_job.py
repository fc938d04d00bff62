"""The counter's confirmation arrives in the mailbox: the mail intake job (guichet.fetch_mail)
stores it and confirms the filed request it names, which records the mandate."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select

from engine.syndic.models import Mandate, MandateRequest, RequestStatus
from integrations.mail import jobs as mail_jobs
from integrations.mail.maildir import GuichetMaildir
from tests.engine.syndic.conftest import World, review_task, submit, top_up
from webapp.bootstrap import Services


def _counter_mail(sender: str, subject: str, body: str, message_id: str) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "woon-en-energieloket@guichet.local", subject
    mail["Message-ID"] = f"<{message_id}>"
    mail["Date"] = "Mon, 23 Nov 2026 10:00:00 +0000"
    mail.set_content(body)
    return mail.as_bytes()


def test_the_intake_job_confirms_the_request_named_by_the_counter(services: Services, world: World) -> None:
    db = services.db
    top_up(db, world.org, "200.00", "t1")
    request_id = submit(services, world)
    with db.transaction() as session:
        services.engine.complete(session, review_task(db, request_id).id, {"decision": "approve"},
                                 user_id=world.staff)
        reference = session.get(MandateRequest, request_id).reference
    maildir = GuichetMaildir(services.settings.maildir_root)
    maildir.drop(_counter_mail("intruder@example.be", f"Confirmation {reference}", "Reference: X-1", "x1@example"))
    assert mail_jobs.fetch_mail.delay().get() == {"stored": 1, "skipped": 0}  # not from the counter: ignored
    with db.transaction() as session:
        assert session.get(MandateRequest, request_id).status == RequestStatus.FILED
    maildir.drop(_counter_mail(services.settings.bce_counter_email, f"Confirmation {reference}",
                               "Your request is registered.\nReference: BCE-2026-4711", "c1@counter"))
    assert mail_jobs.fetch_mail.delay().get() == {"stored": 1, "skipped": 0, "syndic_confirmed": [reference]}
    with db.transaction() as session:
        request = session.get(MandateRequest, request_id)
        assert request.status == RequestStatus.RECORDED and request.counter_reference == "BCE-2026-4711"
        assert session.scalar(select(Mandate.registered_by_request_id)) == request_id
