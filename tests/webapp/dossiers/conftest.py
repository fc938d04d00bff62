"""Fixtures of the dossier pages: every diagram of bpmn/dossiers deployed, subtypes seeded."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.access.models import Role, User
from engine.cases.subtypes import seed_subtypes
from tests.engine.cases.support import deploy_all
from tests.webapp.support import login


@pytest.fixture
def services(app: Flask):
    services = app.extensions["guichet"]
    with services.db.transaction() as session:
        deploy_all(session, services.engine)
        seed_subtypes(session)
    return services


@pytest.fixture
def worker(make_user: Callable[..., User]) -> User:
    return make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMINISTRATOR, name="Ada Admin", locale="en")


@pytest.fixture
def as_worker(app: Flask, services, worker: User) -> FlaskClient:
    client = app.test_client()
    login(client, worker)
    return client


@pytest.fixture
def as_admin(app: Flask, services, admin: User) -> FlaskClient:
    client = app.test_client()
    login(client, admin)
    return client
