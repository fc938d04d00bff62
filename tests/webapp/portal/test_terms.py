"""The terms gate: no organisation data before the current version is accepted; the acceptance
is recorded with its version and language; a new version asks again."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.db import Database
from engine.portal.terms import TermsAcceptance
from engine.workflow.models import AuditEvent
from tests.webapp.portal.helpers import accept_terms, sign_in, world
from tests.webapp.support import page_text
from webapp.portal.terms import versions


def test_the_terms_come_before_any_building_and_are_recorded(client: FlaskClient, db: Database) -> None:
    w = world(db)
    sign_in(client, w.manager, w.org.id, client_number_checked=True)
    first = client.get("/portal/")
    assert first.status_code == 302 and "/portal/terms" in first.headers["Location"]
    page = client.get(first.headers["Location"])
    text = page_text(page)
    assert "Termes et conditions d'accès au portail" in text  # the manager's language is French
    assert "Résidence Dijle" not in text
    refused = client.post("/portal/terms", data={"next": "/portal/"})
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalar(select(TermsAcceptance.id)) is None
    accepted = client.post("/portal/terms", data={"accept": "1", "next": "/portal/"})
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith("/portal/")
    assert "Résidence Dijle" in page_text(client.get("/portal/"))
    with db.transaction() as session:
        row = session.scalars(select(TermsAcceptance)).one()
        assert (row.user_id, row.version, row.language) == (w.manager.id, versions()[-1], "fr")
        assert row.accepted_at is not None
        assert session.scalar(select(AuditEvent.kind).where(AuditEvent.kind == "terms_accepted")) == "terms_accepted"


def test_a_new_version_asks_again(app: Flask, client: FlaskClient, db: Database) -> None:
    w = world(db)
    accept_terms(db, w.manager)
    sign_in(client, w.manager, w.org.id, client_number_checked=True)
    assert client.get("/portal/").status_code == 200
    app.config["GUICHET_PORTAL_TERMS_VERSION"] = "2099-01-test"
    try:
        again = client.get("/portal/")
        assert again.status_code == 302 and "/portal/terms" in again.headers["Location"]
    finally:
        app.config.pop("GUICHET_PORTAL_TERMS_VERSION")


def test_the_terms_exist_in_the_three_languages() -> None:
    from pathlib import Path

    import webapp.portal.terms as module

    folder = Path(module.__file__).parent / "terms" / versions()[-1]
    texts = {lang: (folder / f"{lang}.md").read_text(encoding="utf-8") for lang in ("fr", "nl", "en")}
    assert "marketing direct" in texts["fr"] and "direct marketing" in texts["nl"]
    assert "Caloribel" not in "".join(texts.values()) and all("{operator}" in t for t in texts.values())
