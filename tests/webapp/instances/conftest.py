"""Fixtures of the instance-viewer tests: the services of the app, users of each role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.access.models import User
from tests.webapp.support import login
from webapp.bootstrap import Services


@pytest.fixture
def services(app: Flask) -> Services:
    return app.extensions["guichet"]


@pytest.fixture
def signed_in(app: Flask, make_user: Callable[..., User]) -> Callable[..., tuple[FlaskClient, User]]:
    """``signed_in(Role.MANAGER, name=...)`` -> a client signed in as a new user with those roles."""

    def sign_in(*roles: Any, **kwargs: Any) -> tuple[FlaskClient, User]:
        client = app.test_client()
        user = make_user(*roles, locale=kwargs.pop("locale", "en"), **kwargs)
        login(client, user)
        return client, user

    return sign_in
