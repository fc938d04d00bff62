"""The consumption portal opens with the organisation's client number, once per session."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import update

from engine.db import Database, utcnow
from engine.portal.models import OrganisationClient
from tests.webapp.portal.helpers import accept_terms, sign_in, world
from tests.webapp.support import page_text
from webapp.portal.client_number import MAX_ATTEMPTS


def test_the_buildings_need_the_client_number(client: FlaskClient, db: Database) -> None:
    w = world(db)
    accept_terms(db, w.manager)
    sign_in(client, w.manager, w.org.id)
    first = client.get("/portal/")
    assert first.status_code == 302 and "/portal/client-number" in first.headers["Location"]
    wrong = client.post("/portal/client-number", data={"client_number": "C900900", "next": "/portal/"})
    assert wrong.status_code == 400  # the other organisation's number is no use here
    assert "Résidence Dijle" not in page_text(wrong)
    right = client.post("/portal/client-number", data={"client_number": "c 100 200", "next": "/portal/"})
    assert right.status_code == 302 and right.headers["Location"].endswith("/portal/")
    assert "Résidence Dijle" in page_text(client.get("/portal/"))


def test_wrong_attempts_are_limited(client: FlaskClient, db: Database) -> None:
    w = world(db)
    accept_terms(db, w.manager)
    sign_in(client, w.manager, w.org.id)
    for _ in range(MAX_ATTEMPTS):
        assert client.post("/portal/client-number", data={"client_number": "C000001"}).status_code == 400
    locked = client.post("/portal/client-number", data={"client_number": "C100200"})
    assert locked.status_code == 429
    assert client.get("/portal/").status_code == 302


def test_an_organisation_without_client_number_is_sent_to_the_access_requests(client: FlaskClient,
                                                                                db: Database) -> None:
    w = world(db)
    accept_terms(db, w.manager)
    with db.transaction() as session:
        session.execute(update(OrganisationClient).where(OrganisationClient.organisation_id == w.org.id)
                        .values(revoked_at=utcnow()))
    sign_in(client, w.manager, w.org.id)
    response = client.get("/portal/", follow_redirects=True)
    assert response.request.path == "/portal/access-requests"
