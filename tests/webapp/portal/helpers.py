"""Sign-in helpers of the portal web tests (access requests, client number, terms)."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine.access.models import User
from engine.db import Database
from engine.portal import terms as engine_terms
from tests.portal_support import PORTAL_PASSWORD, PortalWorld, portal_world
from tests.webapp.support import login
from webapp.portal.client_number import CHECKED_KEY
from webapp.portal.context import ORGANISATION_KEY
from webapp.portal.terms import versions


def world(db: Database) -> PortalWorld:
    with db.transaction() as session:
        w = portal_world(session)
        session.expunge_all()
    return w


def accept_terms(db: Database, user: User, version: str | None = None) -> None:
    with db.transaction() as session:
        engine_terms.accept(session, user.id, version or versions()[-1], "fr")


def sign_in(client: FlaskClient, user: User, organisation_id: int, *, client_number_checked: bool = False) -> None:
    assert login(client, user, PORTAL_PASSWORD).status_code == 302
    with client.session_transaction() as flask_session:
        flask_session[ORGANISATION_KEY] = organisation_id
        if client_number_checked:
            flask_session[CHECKED_KEY] = [organisation_id]
