"""Authentication and authorisation of the back office: local accounts or the directory (LDAP) (Flask-Login), roles,
the login rate limit, and the language preference."""

from __future__ import annotations

from flask import Flask, request

from webapp.auth.blueprint import bp
from webapp.auth.directory import init_directory
from webapp.auth.identity import SignedInUser, init_login, login_manager, wants_json
from webapp.auth.roles import BACK_OFFICE, CASE_HANDLERS, DESIGNERS, check_roles, require_roles, roles_guard
from webapp.security import limiter_of

__all__ = [
    "BACK_OFFICE",
    "CASE_HANDLERS",
    "DESIGNERS",
    "SignedInUser",
    "bp",
    "check_roles",
    "init_auth",
    "login_manager",
    "require_roles",
    "roles_guard",
    "wants_json",
]


def _not_a_login_attempt() -> bool:
    return request.endpoint != "auth.login"


def init_auth(app: Flask, login_rate_limit: str) -> None:
    """Sign-in for the app, with sign-in attempts (POSTs of the login form) limited per address."""
    from webapp.auth import views  # noqa: F401 - registers the routes on the blueprint

    init_login(app)
    init_directory(app)
    limiter_of(app).limit(login_rate_limit, methods=["POST"], exempt_when=_not_a_login_attempt)(bp)
    app.register_blueprint(bp)
