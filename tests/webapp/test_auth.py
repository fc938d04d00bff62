"""Signing in and out, the login rate limit, CSRF, cookies and security headers."""

from __future__ import annotations

import dataclasses

from flask.testing import FlaskClient

from engine.access.models import Role
from engine.config import Settings
from engine.db import Database
from tests.webapp.support import DEFAULT_PASSWORD, build_app, create_user, csrf_token, login, page_text


def test_sign_in_with_the_right_password_opens_the_dashboard(client: FlaskClient, make_user) -> None:
    user = make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")

    response = login(client, user)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Welcome, Anna Peeters." in page_text(page)
    assert "My tasks" in page_text(page)


def test_a_wrong_password_is_refused_with_a_clear_message(client: FlaskClient, make_user) -> None:
    user = make_user(Role.CASE_WORKER)

    response = login(client, user, password="Wrong-password-1")

    assert response.status_code == 401
    assert "L'adresse e-mail ou le mot de passe est incorrect." in page_text(response)
    assert client.get("/tasks/").status_code == 302  # still anonymous


def test_pages_ask_to_sign_in_and_come_back_afterwards(client: FlaskClient, make_user) -> None:
    user = make_user(Role.CASE_WORKER)

    response = client.get("/dossiers/?q=roof")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")

    signed_in = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD,
                                            "next": "/dossiers/?q=roof"})
    assert signed_in.headers["Location"] == "/dossiers/?q=roof"


def test_next_never_leads_to_another_site(client: FlaskClient, make_user) -> None:
    user = make_user(Role.CASE_WORKER)

    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD,
                                           "next": "//evil.example/steal"})

    assert response.headers["Location"] == "/"


def test_anonymous_json_clients_get_401_json(client: FlaskClient) -> None:
    response = client.get("/tasks/", headers={"Accept": "application/json"})

    assert response.status_code == 401
    assert response.get_json()["status"] == 401


def test_sign_out_is_a_post_and_ends_the_session(client: FlaskClient, make_user) -> None:
    user = make_user(Role.CASE_WORKER)
    login(client, user)

    assert client.get("/logout").status_code == 405
    response = client.post("/logout")

    assert response.status_code == 302
    assert client.get("/tasks/").status_code == 302


def test_login_attempts_are_limited_with_a_clear_429_page(client: FlaskClient, make_user) -> None:
    user = make_user(Role.CASE_WORKER)  # the settings fixture allows 5 attempts per minute

    statuses = [login(client, user, password="Wrong-password-1").status_code for _ in range(5)]
    blocked = login(client, user)  # even the right password waits now

    assert statuses == [401] * 5
    assert blocked.status_code == 429
    text = page_text(blocked)
    assert "Trop de tentatives" in text
    assert "Attendez une minute" in text
    assert client.get("/login").status_code == 200  # showing the form is not limited


def test_forms_without_a_csrf_token_are_refused(settings: Settings, db: Database) -> None:
    app = build_app(settings, db, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = create_user(db, Role.CASE_WORKER)

    refused = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 400
    assert "Le formulaire a expiré" in page_text(refused)

    assert login(client, user).status_code == 302  # the same with the page's token
    no_token = client.post("/dossiers/new/information", data={"title": "Roof question"})
    assert no_token.status_code == 400
    token = csrf_token(client, "/dossiers/new/information")
    with_token = client.post("/dossiers/new/information", data={"title": "Roof question", "csrf_token": token})
    assert with_token.status_code == 302


def test_session_cookie_is_http_only_and_same_site(client: FlaskClient, make_user) -> None:
    user = make_user(Role.CASE_WORKER)

    cookie = login(client, user).headers["Set-Cookie"]

    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_configured(settings: Settings, db: Database) -> None:
    app = build_app(dataclasses.replace(settings, secure_cookies=True), db)
    user = create_user(db, Role.CASE_WORKER)

    cookie = login(app.test_client(), user).headers["Set-Cookie"]

    assert "Secure" in cookie


def test_pages_carry_security_headers(client: FlaskClient) -> None:
    headers = client.get("/login").headers

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
