"""The portal's home lists the buildings the member may see; portal accounts stay out of the
back office and staff accounts out of the portal."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from engine.access.models import Role, User
from engine.db import Database
from tests.webapp.portal.helpers import accept_terms, sign_in, world
from tests.webapp.support import login, page_text


def test_a_manager_sees_the_organisations_buildings(client: FlaskClient, db: Database) -> None:
    w = world(db)
    accept_terms(db, w.manager)
    sign_in(client, w.manager, w.org.id, client_number_checked=True)
    response = client.get("/portal/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Résidence Dijle" in text and "Résidence Zenne" in text
    assert "Résidence Nete" not in text


def test_a_restricted_member_sees_only_their_building(client: FlaskClient, db: Database) -> None:
    w = world(db)
    accept_terms(db, w.technical)
    sign_in(client, w.technical, w.org.id, client_number_checked=True)
    text = page_text(client.get("/portal/"))
    assert "Résidence Dijle" in text
    assert "Résidence Zenne" not in text


def test_a_portal_account_is_refused_in_the_back_office(client: FlaskClient, db: Database) -> None:
    w = world(db)
    sign_in(client, w.manager, w.org.id)
    assert client.get("/dossiers/").status_code == 403
    assert client.get("/tasks/").status_code == 403
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/portal/")


def test_a_staff_account_is_refused_on_the_portal(client: FlaskClient, make_user: Callable[..., User]) -> None:
    login(client, make_user(Role.CASE_WORKER))
    assert client.get("/portal/").status_code == 403
