"""Signing in to the web app through a real slapd (GUICHET_LDAP_URL set)."""

from __future__ import annotations

import dataclasses

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.config import Settings
from engine.db import Database
from tests.integrations.directory.conftest import ANNA_PASSWORD, BERT_PASSWORD, directory_settings, start_slapd
from tests.webapp.support import DEFAULT_PASSWORD, build_app, create_user, page_text


def _post(client: FlaskClient, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


def _user(db: Database, email: str) -> User | None:
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is not None:
            session.expunge(user)
        return user


def test_directory_users_sign_in_with_roles_from_their_groups(ldap_settings: Settings, db: Database) -> None:
    client = build_app(ldap_settings, db).test_client()

    response = _post(client, "anna.peeters@guichet.test", ANNA_PASSWORD)

    assert response.status_code == 302
    assert client.get("/tasks/").status_code == 200
    anna = _user(db, "anna.peeters@guichet.test")
    assert anna is not None
    assert anna.name == "Anna Peeters"
    assert anna.roles == {Role.CASE_WORKER, Role.MANAGER, Role.DISPATCHER}
    assert anna.password_hash is None  # no local password for a directory user
    assert anna.last_login_at is not None


def test_roles_and_name_follow_the_directory_at_each_sign_in(ldap_settings: Settings, db: Database) -> None:
    create_user(db, Role.ADMINISTRATOR, email="bert.janssens@guichet.test", name="Old name")
    client = build_app(ldap_settings, db).test_client()

    assert _post(client, "bert", BERT_PASSWORD).status_code == 302  # the filter also accepts the uid

    bert = _user(db, "bert.janssens@guichet.test")
    assert bert is not None
    assert bert.name == "Bert Janssens"
    assert bert.roles == {Role.CASE_WORKER}  # administrator came from Guichet, not the directory
    assert bert.password_hash is None  # the old local password is gone


def test_a_wrong_directory_password_is_refused_without_trying_the_local_one(
        ldap_settings: Settings, db: Database) -> None:
    create_user(db, Role.CASE_WORKER, email="anna.peeters@guichet.test")  # stale local password
    client = build_app(ldap_settings, db).test_client()

    response = _post(client, "anna.peeters@guichet.test", DEFAULT_PASSWORD)

    assert response.status_code == 401
    assert "L'adresse e-mail ou le mot de passe est incorrect." in page_text(response)
    assert client.get("/tasks/").status_code == 302  # no session


def test_an_unknown_user_is_refused(ldap_settings: Settings, db: Database) -> None:
    client = build_app(ldap_settings, db).test_client()

    response = _post(client, "nobody@guichet.test", ANNA_PASSWORD)

    assert response.status_code == 401
    assert "L'adresse e-mail ou le mot de passe est incorrect." in page_text(response)
    assert client.get("/tasks/").status_code == 302
    assert _user(db, "nobody@guichet.test") is None


def test_a_local_fallback_admin_signs_in_when_the_directory_does_not_know_them(
        ldap_settings: Settings, db: Database) -> None:
    admin = create_user(db, Role.ADMINISTRATOR, email="fallback-admin@guichet.test")

    client = build_app(ldap_settings, db).test_client()
    assert _post(client, admin.email, DEFAULT_PASSWORD).status_code == 302
    assert client.get("/tasks/").status_code == 200

    closed = build_app(dataclasses.replace(ldap_settings, ldap_local_accounts=False), db).test_client()
    assert _post(closed, admin.email, DEFAULT_PASSWORD).status_code == 401


def test_directory_down_refuses_directory_users_but_not_the_fallback_admin(settings: Settings, db: Database) -> None:
    server = start_slapd()
    url = server.ldap_uri
    client = build_app(directory_settings(settings, url), db).test_client()
    assert _post(client, "anna.peeters@guichet.test", ANNA_PASSWORD).status_code == 302
    client.post("/logout")
    create_user(db, Role.ADMINISTRATOR, email="fallback-admin@guichet.test")
    server.stop()

    response = _post(client, "anna.peeters@guichet.test", ANNA_PASSWORD)
    assert response.status_code == 503
    assert "L'annuaire est indisponible" in page_text(response)
    assert client.get("/tasks/").status_code == 302  # no session

    wrong = _post(client, "fallback-admin@guichet.test", "not the password")
    assert wrong.status_code == 503  # while the directory is down, a failed sign-in says so
    assert client.get("/tasks/").status_code == 302

    assert _post(client, "fallback-admin@guichet.test", DEFAULT_PASSWORD).status_code == 302
    assert client.get("/tasks/").status_code == 200

    closed = build_app(dataclasses.replace(directory_settings(settings, url), ldap_local_accounts=False), db)
    assert _post(closed.test_client(), "fallback-admin@guichet.test", DEFAULT_PASSWORD).status_code == 503
