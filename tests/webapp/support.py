"""Helpers shared by the web tests (tests/webapp, tests/webapp/api, tests/browser)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.access import passwords
from engine.access.models import Role, User
from engine.access.users import create_user as create_account
from engine.config import Settings
from engine.db import Database
from webapp import create_app
from webapp.bootstrap import Services, build_services

ROOT = Path(__file__).resolve().parents[2]
INFORMATION_BPMN = ROOT / "bpmn" / "dossiers" / "information.bpmn"
DEFAULT_PASSWORD = "Correct-Horse-42"

# The real Argon2 parameters cost ~50 ms a hash; tests use the same code with cheap parameters.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

_numbers = itertools.count(1)


def use_fast_password_hashing(monkeypatch: Any) -> None:
    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)


def deploy_information(services: Services) -> None:
    with services.db.transaction() as session:
        services.engine.deploy(session, INFORMATION_BPMN.read_text(), "bpmn/dossiers/information.bpmn")


def build_app(settings: Settings, db: Database, **config: Any) -> Flask:
    """The web app on the test database, with the Information process deployed.

    CSRF is off unless ``WTF_CSRF_ENABLED=True`` is passed (the CSRF and browser tests do)."""
    services = build_services(settings, db)
    deploy_information(services)
    return create_app(services, {"TESTING": True, "WTF_CSRF_ENABLED": False, **config})


def create_user(db: Database, *roles: Role | str, email: str | None = None, name: str | None = None,
                password: str = DEFAULT_PASSWORD, locale: str | None = None) -> User:
    number = next(_numbers)
    role_set = {Role(r) for r in roles}
    label = "-".join(sorted(r.value for r in role_set)) or "nobody"
    with db.transaction() as session:
        return create_account(
            session,
            email or f"{label}.{number}@guichet.test",
            name or f"{label.replace('_', ' ').title()} {number}",
            password,
            role_set,
            locale=locale,
        )


def login(client: FlaskClient, user: User, password: str = DEFAULT_PASSWORD) -> TestResponse:
    """Sign ``user`` in on ``client``; returns the response of the login POST."""
    token = csrf_token(client, "/login") if client.application.config.get("WTF_CSRF_ENABLED") else ""
    return client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on the page at ``path``."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def page_text(response: TestResponse) -> str:
    """The response's HTML without tags and with collapsed whitespace, for assertions on text."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    import html as html_module

    return re.sub(r"\s+", " ", html_module.unescape(text)).strip()


VALID_REQUEST = {
    "question_types": ["technical_question", "premium_application"],
    "question_summary": "Can I insulate my roof from the inside?",
    "request_date": "2026-03-02",
    "source": "phone",
    "first_action": "called_back",
    "first_action_date": "2026-03-06",
}

VALID_ANSWER = {
    "answer": "Yes; sent the insulation guide and the premium conditions.",
    "referral_product": "premium",
    "referral_organisation": "Mijn VerbouwPremie",
    "closing_note": "Citizen will call back after the works.",
}
