"""Errors are explained: an HTML page for people, problem details (JSON) for programs."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError, OperationalError

from engine.access.models import Role
from engine.config import Settings
from engine.db import Database
from engine.workflow.errors import InvalidState
from tests.webapp.support import build_app, create_user, login, page_text


def test_a_missing_page_is_an_html_page_for_browsers(client: FlaskClient, make_user) -> None:
    login(client, make_user(Role.CASE_WORKER, locale="nl"))

    response = client.get("/dossiers/404", headers={"Accept": "text/html,*/*;q=0.8"})

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Pagina niet gevonden" in page_text(response)


def test_unexpected_errors_are_logged_and_explained(settings: Settings, db: Database) -> None:
    app = build_app(settings, db, TESTING=False)

    def boom() -> str:
        raise RuntimeError("bug")

    def engine_refusal() -> str:
        raise InvalidState("This case is suspended; a manager must resume it first.")

    app.add_url_rule("/boom", view_func=boom)
    app.add_url_rule("/refused", view_func=engine_refusal)
    client = app.test_client()

    page = client.get("/boom")
    as_json = client.get("/boom", headers={"Accept": "application/json"})
    refused = client.get("/refused", headers={"Accept": "application/json"})

    assert page.status_code == 500
    assert "Un problème est survenu de notre côté" in page_text(page)
    assert as_json.status_code == 500 and as_json.mimetype == "application/problem+json"
    assert as_json.get_json()["title"] == "Erreur du serveur"
    assert refused.status_code == 409
    assert refused.get_json()["detail"] == "This case is suspended; a manager must resume it first."


def test_the_dashboard_counts_my_work(settings: Settings, db: Database) -> None:
    app = build_app(settings, db)
    client = app.test_client()
    login(client, create_user(db, Role.CASE_WORKER, locale="en"))
    client.post("/dossiers/new/information", data={"title": "Roof question"})

    text = page_text(client.get("/"))

    assert "0 tasks assigned to me" in text
    assert "1 task waiting in my queues" in text
    assert "1 open dossier" in text
    assert "My tasks" in text  # the dashboard's lists (tests/webapp/home)


def test_an_unreachable_database_is_a_503_to_try_again(settings: Settings, db: Database) -> None:
    """A restart or failover of the database: 503 with Retry-After and a sentence saying nothing was
    saved (tests/faults/test_database_restart.py makes it really happen under gunicorn)."""
    app = build_app(settings, db, TESTING=False)

    def database_down() -> str:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    def other_database_error() -> str:
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    app.add_url_rule("/down", view_func=database_down)
    app.add_url_rule("/integrity", view_func=other_database_error)
    client = app.test_client()

    page = client.get("/down")
    as_json = client.get("/down", headers={"Accept": "application/json"})

    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "Rien n'a été enregistré" in page_text(page)  # the default language
    assert as_json.status_code == 503 and as_json.mimetype == "application/problem+json"
    assert client.get("/integrity").status_code == 500  # a bug, not an outage
