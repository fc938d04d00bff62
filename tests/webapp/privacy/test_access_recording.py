"""Each access to personal data is logged with who, what and from where."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.db import Database
from engine.parties.commands import create_organisation
from engine.portal.models import Membership
from engine.privacy.models import AccessLog
from tests.engine.privacy.support import contact, dossier, mail
from tests.webapp.portal.helpers import accept_terms, sign_in, world
from tests.webapp.support import login

UA = {"User-Agent": "PrivacyTest/1.0 (" + "x" * 400 + ")"}


def _log(db: Database) -> list[AccessLog]:
    with db.transaction() as session:
        return list(session.scalars(select(AccessLog).order_by(AccessLog.id)))


def test_sign_in_success_and_failure(client: FlaskClient, db: Database, make_user: Callable[..., User]) -> None:
    user = make_user(Role.CASE_WORKER, name="Case Worker")
    client.post("/login", data={"email": user.email, "password": "wrong"}, headers=UA,
                environ_base={"REMOTE_ADDR": "198.51.100.7"})
    client.post("/login", data={"email": user.email, "password": "Correct-Horse-42"}, headers=UA,
                environ_base={"REMOTE_ADDR": "198.51.100.8"})
    failed, signed = _log(db)
    assert (failed.action, failed.actor_id, failed.actor_name, failed.ip) == (
        "sign_in_failed", None, user.email, "198.51.100.7")
    assert (signed.action, signed.actor_id, signed.actor_name, signed.record_type, signed.record_id, signed.ip) == (
        "sign_in", user.id, "Case Worker", "user", user.id, "198.51.100.8")
    assert signed.user_agent.startswith("PrivacyTest/1.0") and len(signed.user_agent) == 200  # truncated
    assert signed.path == "/login"


def test_contact_organisation_dossier_and_mail_pages(client: FlaskClient, db: Database,
                                                     make_user: Callable[..., User]) -> None:
    user = make_user(Role.CASE_WORKER, Role.DISPATCHER, name="Reader")
    with db.transaction() as session:
        person = contact(session)
        case = dossier(session, person)
        message = mail(session, sender="marie.dupont@example.be", recipients=["info@guichet.test"])
        company = create_organisation(session, {"name": "ACP Les Tilleuls"}, None)
    login(client, user)
    assert client.get(f"/contacts/{person.id}", headers=UA).status_code == 200
    assert client.get(f"/dossiers/{case.id}").status_code == 200
    assert client.get(f"/mails/{message.id}").status_code == 200
    assert client.get(f"/organisations/{company.id}").status_code == 200
    assert client.get("/contacts/999999").status_code == 404  # nothing shown, nothing logged
    views = [(r.record_type, r.record_id, r.actor_id, r.actor_name) for r in _log(db) if r.action == "view"]
    assert views == [("contact", person.id, user.id, "Reader"), ("dossier", case.id, user.id, "Reader"),
                     ("mail", message.id, user.id, "Reader"), ("organisation", company.id, user.id, "Reader")]
    assert next(r.path for r in _log(db) if r.action == "view") == f"/contacts/{person.id}"


def test_contact_created_through_the_page_is_logged_with_its_origin(
        client: FlaskClient, db: Database, make_user: Callable[..., User]) -> None:
    user = make_user(Role.CASE_WORKER, name="Creator")
    login(client, user)
    response = client.post("/contacts/new", data={"first_name": "An", "last_name": "Peeters"}, headers=UA,
                           environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert response.status_code == 302
    created = [r for r in _log(db) if r.action == "create"]
    assert [(r.record_type, r.actor_id, r.actor_name, r.ip, r.path) for r in created] == [
        ("contact", user.id, "Creator", "203.0.113.5", "/contacts/new")]


def test_list_view_exports_log_their_row_count(client: FlaskClient, db: Database,
                                               make_user: Callable[..., User]) -> None:
    user = make_user(Role.CASE_WORKER)
    with db.transaction() as session:
        person = contact(session)
        for _ in range(3):
            dossier(session, person)
    login(client, user)
    assert client.get("/views/dossiers/export.csv?c=number").get_data(as_text=True).count("P-") == 3
    assert client.get("/views/contacts/export.xlsx").status_code == 200
    exports = [(r.record_type, r.record_key, r.rows, r.actor_id) for r in _log(db) if r.action == "export"]
    assert exports == [("view", "dossiers", 3, user.id), ("view", "contacts", 1, user.id)]


def test_portal_member_page(client: FlaskClient, db: Database) -> None:
    w = world(db)
    with db.transaction() as session:
        technical = session.scalar(select(Membership.id).where(Membership.user_id == w.technical.id))
    accept_terms(db, w.manager)
    sign_in(client, w.manager, w.org.id)
    assert client.get("/portal/members").status_code == 200
    assert client.get(f"/portal/members/{technical}").status_code == 200
    views = [(r.record_type, r.record_id, r.record_key, r.actor_id) for r in _log(db) if r.action == "view"]
    assert views == [("organisation", w.org.id, "members", w.manager.id), ("member", technical, None, w.manager.id)]
