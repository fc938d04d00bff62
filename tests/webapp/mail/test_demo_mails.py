"""``guichet demo`` drops sample mails into the maildir once; the intake job reads them into the
central queue: one linked to a demo dossier by the number in its subject, one with a PDF."""

from __future__ import annotations

from sqlalchemy import select

from engine.config import Settings
from engine.db import Database
from engine.mail.models import CENTRAL_QUEUE, Mail
from tests.webapp.support import deploy_information
from webapp.bootstrap import build_services
from webapp.demo import load_demo_data
from webapp.demo_data.mails import MARKER


def test_demo_mails_reach_the_central_queue_once(settings: Settings, db: Database) -> None:
    services = build_services(settings, db)
    deploy_information(services)
    load_demo_data(services, echo=lambda *a, **k: None, scale=0)  # jobs are eager in tests
    with db.transaction() as s:
        mails = list(s.scalars(select(Mail)))
        assert len(mails) == 8 and {m.queue for m in mails} == {CENTRAL_QUEUE}
        linked = [m for m in mails if m.dossier_id is not None]
        assert len(linked) == 1 and linked[0].subject.startswith("Re: Uw dossier INF-")
        with_pdf = [m for m in mails if m.attachments]
        assert [a.name for m in with_pdf for a in m.attachments] == ["offerte-dakisolatie.pdf"]
        french_html = next(m for m in mails if m.subject == "Question sur l'isolation des murs")
        assert "remplir par insufflation" in french_html.body_text
    assert (settings.maildir_root / MARKER).exists()
    load_demo_data(services, echo=lambda *a, **k: None, scale=0)
    with db.transaction() as s:
        assert len(list(s.scalars(select(Mail.id)))) == 8
