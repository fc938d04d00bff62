"""Fixtures of the RMP pages: every dossier diagram deployed (the subtype diagrams too), subtypes
seeded, a case worker and a manager (who sees dossiers but changes nothing)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.access.models import Role, User
from tests.engine.rmp.support import deploy_everything
from tests.webapp.support import login


@pytest.fixture
def services(app: Flask):
    services = app.extensions["guichet"]
    with services.db.transaction() as session:
        deploy_everything(session, services.engine)
    return services


@pytest.fixture
def worker(make_user: Callable[..., User]) -> User:
    return make_user(Role.CASE_WORKER, name="Anna Peeters", locale="en")


@pytest.fixture
def as_worker(app: Flask, services, worker: User) -> FlaskClient:
    client = app.test_client()
    login(client, worker)
    return client


@pytest.fixture
def as_manager(app: Flask, services, make_user: Callable[..., User]) -> FlaskClient:
    client = app.test_client()
    login(client, make_user(Role.MANAGER, name="Marc Manager", locale="en"))
    return client
