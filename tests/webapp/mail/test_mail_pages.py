"""The mail pages: the central queue's two parts, the mail page (text only, attachments),
every action with its role and object checks, conflicts, replies, the dossier tab, and the
``guichet mail fetch`` command."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.access.models import Role, User
from engine.cases.models import Dossier
from engine.config import Settings
from engine.db import Database
from engine.documents.models import DossierFile
from engine.mail.models import Mail
from engine.queues.commands import seed_queues
from engine.queues.models import Queue
from integrations.mail.fetch import fetch
from integrations.mail.maildir import GuichetMaildir
from tests.integrations.mail.messages import PDF, message
from tests.webapp.support import login, page_text
from webapp.mail.cli import mail_group
from webapp.mail.queries import capped_count, open_in_queue


def _client(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    login(client, user)
    return client


def _members(db: Database, **members: list[User]) -> None:
    with db.transaction() as s:
        seed_queues(s)
        for code, users in members.items():
            s.scalar(select(Queue).where(Queue.code == code)).members = [s.get(User, u.id) for u in users]


def _deliver(settings: Settings, db: Database, *raws: bytes) -> None:
    box = GuichetMaildir(settings.maildir_root)
    for raw in raws:
        box.drop(raw)
    fetch(settings, db)


def _mail(db: Database, message_id: str) -> Mail:
    with db.transaction() as s:
        return s.scalar(select(Mail).where(Mail.message_id == message_id))


def test_central_queue_separates_unlinked_and_linked(app: Flask, settings: Settings, db: Database,
                                                     make_user) -> None:
    dispatcher = make_user(Role.DISPATCHER, locale="en")
    _members(db)
    with db.transaction() as s:
        s.add(Dossier(number="INF-2026-00042", type="information", title="Roof"))
    _deliver(settings, db, message("Vraag over premies", message_id="a@x"),
             message("Re: uw dossier INF-2026-00042", message_id="b@x"))
    page = page_text(_client(app, dispatcher).get("/queues/frontdesk"))
    unlinked = page.index("Not yet linked to a dossier (1)")
    linked = page.index("Linked to a dossier (1)")
    assert unlinked < page.index("Vraag over premies") < linked < page.index("Re: uw dossier INF-2026-00042")


def test_mail_page_shows_text_never_raw_html_and_serves_attachments(app: Flask, settings: Settings, db: Database,
                                                                      make_user) -> None:
    worker = make_user(Role.CASE_WORKER, locale="en")
    _members(db, frontdesk=[worker])
    _deliver(settings, db, message("Offerte", message_id="h@x", body="Zie bijlage.",
                                   html="<p>Zie <b>bijlage</b></p><script>alert('x')</script>",
                                   attachments=[("offerte.pdf", PDF, "application/pdf")]))
    mail = _mail(db, "h@x")
    client = _client(app, worker)
    response = client.get(f"/mails/{mail.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<b>bijlage</b>" not in html
    text = page_text(response)
    assert "Jan Peeters <jan.peeters@citizen.example>" in text and "Zie bijlage." in text
    with db.transaction() as s:
        attachment_id = s.get(Mail, mail.id).attachments[0].id
    download = client.get(f"/mails/{mail.id}/attachments/{attachment_id}")
    assert download.status_code == 200 and download.data == PDF
    assert "offerte.pdf" in download.headers["Content-Disposition"]
    assert client.get(f"/mails/{mail.id}/attachments/999999").status_code == 404
    assert client.get("/mails/999999").status_code == 404


def test_dispatch_take_and_create_a_dossier(app: Flask, settings: Settings, db: Database, make_user) -> None:
    dispatcher = make_user(Role.DISPATCHER, locale="en")
    energy_worker = make_user(Role.CASE_WORKER, locale="en")
    _members(db, energy=[energy_worker])
    _deliver(settings, db, message("Warmtepomp", message_id="w@x", attachments=[("plan.pdf", PDF, "application/pdf")]))
    mail = _mail(db, "w@x")
    frontdesk = _client(app, dispatcher)
    done = frontdesk.post(f"/mails/{mail.id}/dispatch", data={"to": "energy", "lock_version": mail.lock_version},
                          follow_redirects=True)
    assert "The e-mail was sent to another queue." in page_text(done)
    energy = _client(app, energy_worker)
    assert "Warmtepomp" in page_text(energy.get("/queues/energy"))
    mail = _mail(db, "w@x")
    taken = energy.post(f"/mails/{mail.id}/take", data={"lock_version": mail.lock_version,
                                                        "next": "/queues/energy"})
    assert taken.status_code == 303 and taken.headers["Location"].endswith("/queues/energy")
    working = page_text(energy.get("/queues/working"))
    assert working.index("E-mails not yet linked to a dossier (1)") < working.index("Warmtepomp")
    mail = _mail(db, "w@x")
    created = energy.post(f"/mails/{mail.id}/dossier", data={"dossier_type": "information", "title": "",
                                                            "lock_version": mail.lock_version})
    assert created.status_code == 303
    with db.transaction() as s:
        dossier = s.scalar(select(Dossier))
        assert dossier.title == "Warmtepomp"
        assert s.scalar(select(DossierFile.name)) == "plan.pdf"
    tab = page_text(energy.get(created.headers["Location"]))
    assert f"Dossier {dossier.number} is open." in tab and "Warmtepomp" in tab
    working = page_text(energy.get("/queues/working"))
    assert working.index("E-mails linked to a dossier (1)") < working.index(dossier.number)


def test_who_may_act(app: Flask, settings: Settings, db: Database, make_user) -> None:
    member = make_user(Role.CASE_WORKER)
    outsider = make_user(Role.CASE_WORKER)
    manager = make_user(Role.MANAGER)
    designer = make_user(Role.PROCESS_DESIGNER)
    _members(db, frontdesk=[member])
    _deliver(settings, db, message(message_id="r@x"))
    mail = _mail(db, "r@x")
    for user in (outsider, manager):
        client = _client(app, user)
        assert client.get(f"/mails/{mail.id}").status_code == 200  # the back office reads
        for action in ("take", "release", "close", "unlink", "dispatch", "link", "reply", "dossier"):
            assert client.post(f"/mails/{mail.id}/{action}", data={"to": "energy"}).status_code == 403, action
    assert _client(app, designer).get(f"/mails/{mail.id}").status_code == 403
    assert app.test_client().get(f"/mails/{mail.id}").status_code == 302  # sign in first
    assert _mail(db, "r@x").lock_version == mail.lock_version  # nothing changed
    # the member may act; once assigned, the outsider assignee may too
    member_client = _client(app, member)
    member_client.post(f"/mails/{mail.id}/assign", data={"assignee_id": outsider.id})
    assert _mail(db, "r@x").assignee_id is None  # not a member of the queue: refused
    with db.transaction() as s:
        s.get(Mail, mail.id).assignee_id = outsider.id
    assert _client(app, outsider).post(f"/mails/{mail.id}/close").status_code == 303
    assert _mail(db, "r@x").closed_at is not None


def test_stale_version_and_bad_input_say_what_to_do(app: Flask, settings: Settings, db: Database,
                                                     make_user) -> None:
    worker = make_user(Role.CASE_WORKER, locale="en")
    _members(db, frontdesk=[worker])
    _deliver(settings, db, message(message_id="s@x"))
    mail = _mail(db, "s@x")
    client = _client(app, worker)
    client.post(f"/mails/{mail.id}/take", data={"lock_version": mail.lock_version})
    stale = client.post(f"/mails/{mail.id}/close", data={"lock_version": mail.lock_version}, follow_redirects=True)
    assert "Someone else changed this e-mail just before you" in page_text(stale)
    assert _mail(db, "s@x").closed_at is None
    unknown = client.post(f"/mails/{mail.id}/link", data={"number": "INF-2026-12345"}, follow_redirects=True)
    assert "There is no dossier with the number INF-2026-12345." in page_text(unknown)
    empty = client.post(f"/mails/{mail.id}/link", data={"number": " "}, follow_redirects=True)
    assert "Give the number of the dossier" in page_text(empty)
    no_type = client.post(f"/mails/{mail.id}/dossier", data={"dossier_type": "x"}, follow_redirects=True)
    assert "Choose a dossier type." in page_text(no_type)
    no_text = client.post(f"/mails/{mail.id}/reply", data={"body": ""}, follow_redirects=True)
    assert "Write the text of the answer." in page_text(no_text)
    with db.transaction() as s:
        assert s.scalar(select(func.count(Mail.id))) == 1 and s.scalar(select(func.count(Dossier.id))) == 0


def test_link_reply_and_dossier_tab(app: Flask, settings: Settings, db: Database, make_user) -> None:
    worker = make_user(Role.CASE_WORKER, locale="en")
    _members(db, frontdesk=[worker])
    with db.transaction() as s:
        dossier = Dossier(number="INF-2026-00042", type="information", title="Roof")
        s.add(dossier)
        s.flush()
        dossier_id = dossier.id
    _deliver(settings, db, message("Dak", message_id="l@x"))
    mail = _mail(db, "l@x")
    client = _client(app, worker)
    linked = client.post(f"/mails/{mail.id}/link", data={"number": "inf-2026-00042"}, follow_redirects=True)
    assert "The e-mail is linked to dossier INF-2026-00042." in page_text(linked)
    answered = client.post(f"/mails/{mail.id}/reply", data={"body": "Dag Jan, ja."}, follow_redirects=True)
    text = page_text(answered)
    assert "The answer is stored and being sent." in text and "Sent." in text
    assert "Re: Dak [INF-2026-00042]" in text
    [eml] = list(settings.outbox_root.glob("*.eml"))
    assert b"Dag Jan, ja." in eml.read_bytes()
    tab = page_text(client.get(f"/dossiers/{dossier_id}?tab=mails"))
    assert tab.index("E-mails of this dossier") < tab.index("Re: Dak [INF-2026-00042]") < tab.index("Dak ")
    with db.transaction() as s:  # a failed sending shows in the lists and on the mail's page
        answer = s.scalar(select(Mail).where(Mail.direction == "out"))
        answer.send_status, answer.send_error, answer_id = "failed", "SMTPServerDisconnected: gone", answer.id
    assert "(sending failed)" in page_text(client.get(f"/dossiers/{dossier_id}?tab=mails"))
    failed = page_text(client.get(f"/mails/{answer_id}"))
    assert "Sending failed: SMTPServerDisconnected: gone" in failed and "Send again" in failed
    resent = client.post(f"/mails/{answer_id}/resend", follow_redirects=True)
    assert "The e-mail is being sent again." in page_text(resent) and "Sent." in page_text(resent)
    assert len(list(settings.outbox_root.glob("*.eml"))) == 2
    unlinked = client.post(f"/mails/{mail.id}/unlink", follow_redirects=True)
    assert "The e-mail is no longer linked to a dossier." in page_text(unlinked)


def test_counts_are_capped(db: Database) -> None:
    with db.transaction() as s:
        s.add_all(Mail(message_id=f"c{i}@x", queue="frontdesk") for i in range(5))
    with db.transaction() as s:
        assert capped_count(s, open_in_queue("frontdesk", linked=False), cap=3) == (3, True)
        assert capped_count(s, open_in_queue("frontdesk", linked=False), cap=5) == (5, False)


def test_cli_mail_fetch(app: Flask, settings: Settings, db: Database) -> None:
    GuichetMaildir(settings.maildir_root).drop(message())
    runner = app.test_cli_runner()
    first = runner.invoke(mail_group, ["fetch"])
    assert first.exit_code == 0, first.output
    assert "1 stored, 0 skipped" in first.output
    GuichetMaildir(settings.maildir_root).drop(message())
    assert "0 stored, 1 skipped" in runner.invoke(mail_group, ["fetch"]).output
