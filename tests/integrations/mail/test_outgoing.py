"""Sending a stored reply: to the outbox as .eml by default, through a real SMTP server
(aiosmtpd on loopback) when configured, and a failure recorded on the row, nothing lost."""

from __future__ import annotations

from email import message_from_bytes, policy

from sqlalchemy import select

from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.models import Dossier
from engine.config import Settings
from engine.db import Database
from engine.mail import commands
from engine.mail.models import Mail, SendStatus
from integrations.mail.outgoing import send_stored
from tests.integrations.mail.conftest import SmtpServer, free_port


def _reply(db: Database, settings: Settings) -> int:
    with db.transaction() as s:
        user = create_user(s, "lea@guichet.test", "Lea", "x-Password-42", {Role.CASE_WORKER})
        dossier = Dossier(number="INF-2026-00042", type="information", title="Roof")
        s.add(dossier)
        s.flush()
        original = Mail(message_id="q1@citizen.example", subject="Roof insulation", sender="jan@citizen.example",
                        queue="frontdesk", dossier_id=dossier.id, references="<q0@citizen.example>")
        s.add(original)
        s.flush()
        answer = commands.reply(s, original.id, body="Yes, you can.", by_user_id=user.id,
                                mail_from=settings.mail_from)
        s.flush()
        return answer.id


def _row(db: Database, mail_id: int) -> Mail:
    with db.transaction() as s:
        return s.get(Mail, mail_id)


def test_reply_goes_to_the_outbox_as_eml(settings: Settings, db: Database) -> None:
    answer_id = _reply(db, settings)
    assert send_stored(settings, db, answer_id) == "sent"
    [eml] = list(settings.outbox_root.glob("*.eml"))
    sent = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert sent["Subject"] == "Re: Roof insulation [INF-2026-00042]"
    assert sent["To"] == "jan@citizen.example"
    assert sent["From"] == settings.mail_from
    assert sent["In-Reply-To"] == "<q1@citizen.example>"
    assert sent["References"] == "<q0@citizen.example> <q1@citizen.example>"
    assert sent.get_content().strip() == "Yes, you can."
    row = _row(db, answer_id)
    assert (row.send_status, row.direction, row.send_error) == (SendStatus.SENT, "out", None)
    assert send_stored(settings, db, answer_id) == "skipped"  # a job delivered twice sends once
    assert len(list(settings.outbox_root.glob("*.eml"))) == 1


def test_reply_through_smtp(settings: Settings, db: Database, smtp_server: SmtpServer) -> None:
    smtp = Settings(**{**settings.__dict__, "smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    answer_id = _reply(db, smtp)
    assert send_stored(smtp, db, answer_id) == "sent"
    [(sender, recipients, content)] = smtp_server.received
    assert (sender, recipients) == (settings.mail_from, ["jan@citizen.example"])
    assert b"Subject: Re: Roof insulation [INF-2026-00042]" in content
    assert not settings.outbox_root.exists() or not list(settings.outbox_root.glob("*.eml"))


def test_smtp_failure_is_recorded_and_can_be_sent_again(settings: Settings, db: Database,
                                                         smtp_server: SmtpServer) -> None:
    down = Settings(**{**settings.__dict__, "smtp_host": "127.0.0.1", "smtp_port": free_port()})
    answer_id = _reply(db, down)
    assert send_stored(down, db, answer_id) == "failed"
    row = _row(db, answer_id)
    assert row.send_status == SendStatus.FAILED and "Connection refused" in (row.send_error or "")
    with db.transaction() as s:
        commands.resend(s, answer_id, by_user_id=None)
    up = Settings(**{**settings.__dict__, "smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    assert send_stored(up, db, answer_id) == "sent"
    assert len(smtp_server.received) == 1
    with db.transaction() as s:
        assert s.scalar(select(Mail.send_status).where(Mail.id == answer_id)) == SendStatus.SENT
