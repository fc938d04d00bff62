"""Every area checks the role of the signed-in person; an administrator passes every check."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.access.models import Role
from tests.webapp.support import login, page_text

PAGES = ["/", "/tasks/", "/dossiers/", "/dossiers/new/information", "/admin/users", "/admin/processes"]

# Which pages each role may open (the rest answer 403).
ALLOWED = {
    Role.CASE_WORKER: {"/", "/tasks/", "/dossiers/", "/dossiers/new/information"},
    Role.DISPATCHER: {"/", "/tasks/", "/dossiers/", "/dossiers/new/information"},
    Role.MANAGER: {"/", "/tasks/", "/dossiers/"},
    Role.PROCESS_DESIGNER: {"/", "/admin/processes"},
    Role.ADMINISTRATOR: set(PAGES),
}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_opens_its_pages_and_gets_403_elsewhere(app: Flask, make_user, role: Role) -> None:
    client = app.test_client()
    login(client, make_user(role, locale="en"))

    statuses = {page: client.get(page).status_code for page in PAGES}

    assert statuses == {page: 200 if page in ALLOWED[role] else 403 for page in PAGES}


def test_the_403_page_says_what_is_missing(client: FlaskClient, make_user) -> None:
    login(client, make_user(Role.CASE_WORKER, locale="en"))

    response = client.get("/admin/users")

    assert response.status_code == 403
    assert "You do not have the role needed for this page" in page_text(response)


def test_a_user_without_any_role_sees_only_the_welcome_page(client: FlaskClient, make_user) -> None:
    login(client, make_user(locale="en", name="Nora Roleless"))

    assert "Welcome, Nora Roleless." in page_text(client.get("/"))
    assert client.get("/tasks/").status_code == 403
    assert client.post("/dossiers/new/information", data={"title": "Roof question"}).status_code == 403


def test_navigation_shows_only_what_the_role_allows(client: FlaskClient, make_user) -> None:
    login(client, make_user(Role.MANAGER, locale="en"))

    text = page_text(client.get("/"))

    assert "Dossiers" in text
    assert "New Information dossier" not in text
    assert "Users" not in text
