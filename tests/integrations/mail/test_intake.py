"""Intake from a maildir and from a real IMAP server (dovecot): stored once, attachments kept,
marked read only after the commit, replies linked to their dossier."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import func, select

from engine.access.models import Role, User
from engine.access.users import create_user
from engine.cases.models import Dossier
from engine.config import Settings
from engine.db import Database
from engine.mail.models import CENTRAL_QUEUE, Mail, MailAttachment
from integrations.documents.store import DiskStore
from integrations.mail.fetch import fetch
from integrations.mail.maildir import GuichetMaildir
from tests.integrations.mail.conftest import ImapServer
from tests.integrations.mail.messages import PDF, message


def _mails(db: Database) -> list[Mail]:
    with db.transaction() as s:
        return list(s.scalars(select(Mail).order_by(Mail.id)))


def _dossier(db: Database, number: str = "INF-2026-00042") -> int:
    with db.transaction() as s:
        dossier = Dossier(number=number, type="information", title="Roof")
        s.add(dossier)
        s.flush()
        return dossier.id


def test_maildir_intake_stores_once_and_marks_read(settings: Settings, db: Database) -> None:
    box = GuichetMaildir(settings.maildir_root)
    box.drop(message(attachments=[("offerte.pdf", PDF, "application/pdf")]))
    box.drop(message("Tweede vraag", message_id="q2@citizen.example"))
    box.drop(message("Dezelfde vraag nog eens", message_id="q2@citizen.example"))  # same Message-ID

    result = fetch(settings, db)
    assert (result.stored, result.skipped) == (2, 1)
    mails = _mails(db)
    assert [(m.message_id, m.queue, m.dossier_id, m.source) for m in mails] == [
        ("q1@citizen.example", CENTRAL_QUEUE, None, "maildir"), ("q2@citizen.example", CENTRAL_QUEUE, None, "maildir")]
    with db.transaction() as s:
        attachment = s.scalar(select(MailAttachment))
        assert (attachment.name, attachment.size) == ("offerte.pdf", len(PDF))
    assert DiskStore(settings.files_root).exists(attachment.sha256)
    assert os.listdir(settings.maildir_root / "new") == []
    assert all(name.endswith(":2,S") for name in os.listdir(settings.maildir_root / "cur"))

    box.drop(message())  # delivered again later
    again = fetch(settings, db)
    assert (again.stored, again.skipped) == (0, 1)
    assert len(_mails(db)) == 2


def test_linking_by_subject_number_and_by_reply(settings: Settings, db: Database) -> None:
    dossier_id = _dossier(db)
    with db.transaction() as s:
        colleague = create_user(s, "lea@guichet.test", "Lea", "x-Password-42", {Role.CASE_WORKER})
        colleague_id = colleague.id
        s.add(Mail(message_id="out1@guichet.local", direction="out", subject="Re: roof [INF-2026-00042]",
                   queue="energy", assignee_id=colleague_id, dossier_id=dossier_id))
    box = GuichetMaildir(settings.maildir_root)
    box.drop(message("Re: Uw dossier INF-2026-00042", message_id="a@x"))
    box.drop(message("Nog een vraag", message_id="b@x", in_reply_to="out1@guichet.local"))
    box.drop(message("Fwd", message_id="c@x", references=["zzz@nowhere", "out1@guichet.local"]))
    box.drop(message("Over INF-2026-99999 en INF-2026-00042/7", message_id="d@x"))  # unknown numbers
    fetch(settings, db)
    routed = {m.message_id: (m.dossier_id, m.queue, m.assignee_id) for m in _mails(db) if m.direction == "in"}
    assert routed == {
        "a@x": (dossier_id, CENTRAL_QUEUE, None),  # linked, stays in the central queue ("linked" part)
        "b@x": (dossier_id, "energy", colleague_id),  # answers the colleague's mail: back to them
        "c@x": (dossier_id, "energy", colleague_id),
        "d@x": (None, CENTRAL_QUEUE, None),
    }
    with db.transaction() as s:
        assert s.get(User, colleague_id) is not None


def test_two_workers_at_once_store_each_message_once(settings: Settings, db: Database, tmp_path: Path) -> None:
    raws = [message(f"Vraag {i}", message_id=f"same{i}@x") for i in range(30)]
    boxes = []
    for name in ("a", "b"):
        box = GuichetMaildir(tmp_path / name)
        for raw in raws:
            box.drop(raw)
        boxes.append(Settings(**{**settings.__dict__, "mail_maildir": tmp_path / name}))
    results = []
    threads = [threading.Thread(target=lambda s=s: results.append(fetch(s, db, batch=7))) for s in boxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.stored for r in results) == 30
    assert sum(r.skipped for r in results) == 30
    with db.transaction() as s:
        assert s.scalar(select(func.count(Mail.id))) == 30


def test_malformed_message_is_stored_and_counted(settings: Settings, db: Database) -> None:
    box = GuichetMaildir(settings.maildir_root)
    box.drop(b"\xff\xfe garbage")
    box.drop(b"Subject: nul\x00s\r\nMessage-ID: <nul@x>\r\n\r\nbody \x00 with NUL\r\n")
    result = fetch(settings, db)
    assert result.stored == 2 and len(result.problems) == 2
    assert "malformed" in result.summary()
    garbage, nul = sorted(_mails(db), key=lambda m: m.message_id != "nul@x")[::-1]
    assert garbage.parse_problem and "garbage" in garbage.body_text
    assert (nul.subject, nul.body_text.strip()) == ("nuls", "body  with NUL")


def test_source_none_reads_nothing(settings: Settings, db: Database) -> None:
    GuichetMaildir(settings.maildir_root).drop(message())
    none = Settings(**{**settings.__dict__, "mail_source": "none"})
    assert fetch(none, db).stored == 0
    assert _mails(db) == []


def test_imap_intake_against_dovecot(settings: Settings, db: Database, imap_server: ImapServer) -> None:
    imap_server.append(message(attachments=[("plan.pdf", PDF, "application/pdf")]))
    imap_server.append(message("Tweede", message_id="q2@citizen.example"))
    assert len(imap_server.unseen()) == 2
    imap = Settings(**{**settings.__dict__, "mail_source": "imap", "mail_imap_host": imap_server.host,
                       "mail_imap_port": imap_server.port, "mail_imap_user": imap_server.user,
                       "mail_imap_password": imap_server.password, "mail_imap_ssl": False})
    result = fetch(imap, db)
    assert (result.stored, result.skipped) == (2, 0)
    assert imap_server.unseen() == []  # marked \Seen after the commit
    assert {(m.message_id, m.source) for m in _mails(db)} == {("q1@citizen.example", "imap"),
                                                              ("q2@citizen.example", "imap")}
    imap_server.append(message())  # the same message delivered again
    again = fetch(imap, db)
    assert (again.stored, again.skipped) == (0, 1)
    assert imap_server.unseen() == []


def test_imap_wrong_password_is_a_clear_problem(settings: Settings, db: Database, imap_server: ImapServer) -> None:
    import pytest

    from integrations.mail.imap import ImapProblem

    imap = Settings(**{**settings.__dict__, "mail_source": "imap", "mail_imap_host": imap_server.host,
                       "mail_imap_port": imap_server.port, "mail_imap_user": "citizen",
                       "mail_imap_password": "wrong", "mail_imap_ssl": False})
    with pytest.raises(ImapProblem, match="as citizen"):
        fetch(imap, db)


def test_a_backlog_is_parsed_in_worker_processes(settings: Settings, db: Database) -> None:
    box = GuichetMaildir(settings.maildir_root)
    for i in range(25):
        box.drop(message(f"Vraag {i}", message_id=f"p{i}@x",
                         attachments=[("plan.pdf", PDF, "application/pdf")] if i % 5 == 0 else None))
    result = fetch(settings, db, batch=5, workers=2)
    assert (result.stored, result.skipped) == (25, 0)
    assert os.listdir(settings.maildir_root / "new") == []
    with db.transaction() as s:
        assert s.scalar(select(func.count(MailAttachment.id))) == 5
