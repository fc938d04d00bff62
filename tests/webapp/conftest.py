"""Fixtures of the web tests. Reused by tests/webapp/api: ``app``, ``client``, ``make_user``, and
the ``login(client, user)`` helper (import it from here or from tests.webapp.support)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.access.models import User
from engine.config import Settings
from engine.db import Database
from tests.webapp.support import (
    DEFAULT_PASSWORD,
    VALID_ANSWER,
    VALID_REQUEST,
    build_app,
    create_user,
    csrf_token,
    login,
    page_text,
    use_fast_password_hashing,
)

__all__ = ["DEFAULT_PASSWORD", "VALID_ANSWER", "VALID_REQUEST", "csrf_token", "login", "page_text"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_password_hashing(monkeypatch)


@pytest.fixture
def app(settings: Settings, db: Database) -> Iterator[Flask]:
    """The web app on the test database (CSRF off), with bpmn/dossiers/information.bpmn deployed."""
    yield build_app(settings, db)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(db: Database) -> Callable[..., User]:
    """``make_user(Role.CASE_WORKER, email=..., name=..., password=..., locale=...)`` -> User."""

    def make(*roles: Any, **kwargs: Any) -> User:
        return create_user(db, *roles, **kwargs)

    return make
