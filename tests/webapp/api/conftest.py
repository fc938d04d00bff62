"""Fixtures of the API tests: an app on the test database, users with tokens, deployed diagrams.

The test forms of review.bpmn (test.amount, test.approve) live in a registry of their own, given
to the engine of these tests only, so the process-wide ``forms.registry`` is left untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import Schema, fields, validate
from werkzeug.test import TestResponse

from engine.access.models import Role, User
from engine.access.users import issue_token
from engine.config import Settings
from engine.db import Database
from engine.workflow.models import ProcessVersion
from forms import FormRegistry, field
from webapp import create_app
from webapp.bootstrap import Services, build_services

ROOT = Path(__file__).resolve().parents[3]
REVIEW_BPMN = ROOT / "tests" / "engine" / "diagrams" / "review.bpmn"
PAYMENT_BPMN = Path(__file__).resolve().parent / "diagrams" / "payment.bpmn"


class LocaleProbe:
    """A label that renders as the locale it is rendered under (shows which language was used)."""

    def __str__(self) -> str:
        from flask import current_app

        if "babel" not in current_app.extensions:
            return "no-babel"
        from flask_babel import get_locale

        return f"locale:{get_locale()}"


class AmountForm(Schema):
    amount = fields.Integer(required=True, validate=validate.Range(min=0),
                            metadata=field("Amount", widget="number", help="In euros"))
    note = fields.String(load_default=None, metadata=field(LocaleProbe(), widget="textarea"))


class ApproveForm(Schema):
    approved = fields.Boolean(required=True, metadata=field("Approved"))
    level = fields.String(load_default="normal", validate=validate.OneOf(["normal", "urgent"]),
                          metadata=field("Level", choices=[("normal", "Normal"), ("urgent", "Urgent")]))


@pytest.fixture
def test_forms() -> FormRegistry:
    registry = FormRegistry()
    registry.register("test.amount", AmountForm, "Amount")
    registry.register("test.approve", ApproveForm, "Approval", "Decide on a large amount")
    return registry


@pytest.fixture
def api_services(settings: Settings, db: Database, test_forms: FormRegistry) -> Services:
    services = build_services(settings, db)
    services.forms = test_forms
    services.engine.forms = test_forms
    return services


@pytest.fixture
def api_app(api_services: Services) -> Flask:
    return create_app(api_services, config={"TESTING": True})


@dataclass
class Caller:
    """A test client that sends one user's token."""

    client: FlaskClient
    token: str
    user_id: int

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        return self.client.get(url, headers=self._headers(headers), **kwargs)

    def post(self, url: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        if json is not None:
            kwargs["json"] = json
        return self.client.post(url, headers=self._headers(headers), **kwargs)


MakeCaller = Callable[..., Caller]


@pytest.fixture
def make_caller(api_app: Flask, db: Database) -> MakeCaller:
    """``make_caller(Role.MANAGER, ...)``: a user with those roles and an API token.
    (Users are written directly: hashing a password would cost time and no test logs in.)"""
    counter = iter(range(1, 1000))

    def make(*roles: Role, active: bool = True, locale: str | None = None) -> Caller:
        n = next(counter)
        with db.transaction() as session:
            user = User(email=f"api{n}@example.test", name=f"API user {n}", password_hash=None,
                        locale=locale, active=active)
            user.roles = set(roles)
            session.add(user)
            session.flush()
            token = issue_token(session, user, f"test token {n}")
            user_id = user.id
        return Caller(api_app.test_client(), token, user_id)

    return make


@pytest.fixture
def admin(make_caller: MakeCaller) -> Caller:
    return make_caller(Role.ADMINISTRATOR)


@pytest.fixture
def worker(make_caller: MakeCaller) -> Caller:
    return make_caller(Role.CASE_WORKER)


@pytest.fixture
def designer(make_caller: MakeCaller) -> Caller:
    return make_caller(Role.PROCESS_DESIGNER)


@pytest.fixture
def manager(make_caller: MakeCaller) -> Caller:
    return make_caller(Role.MANAGER)


def _deploy(services: Services, db: Database, path: Path) -> int:
    with db.transaction() as session:
        return services.engine.deploy(session, path.read_text(), path.name).version.id


@pytest.fixture
def review(api_services: Services, db: Database) -> ProcessVersion:
    version_id = _deploy(api_services, db, REVIEW_BPMN)
    with db.transaction() as session:
        version = session.get(ProcessVersion, version_id)
        assert version is not None
        return version


@pytest.fixture
def payment(api_services: Services, db: Database) -> int:
    return _deploy(api_services, db, PAYMENT_BPMN)


@pytest.fixture
def start_review(designer: Caller, review: ProcessVersion) -> Callable[..., dict[str, Any]]:
    def start(**data: Any) -> dict[str, Any]:
        response = designer.post("/api/instances", json={"process_key": "review", "data": data})
        assert response.status_code == 201, response.json
        return response.json

    return start
