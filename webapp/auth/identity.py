"""The signed-in person as Flask-Login sees it: a thin wrapper around ``engine.access`` User."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin

from engine.access.models import Role, User
from webapp.context import db_session


class SignedInUser(UserMixin):
    """Flask-Login's view of a :class:`User`; ``user`` is attached to the request's session."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.user.active)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def locale(self) -> str | None:
        return self.user.locale

    @property
    def roles(self) -> frozenset[Role]:
        return self.user.roles

    def has_role(self, *roles: Role) -> bool:
        """True when the user has one of ``roles``; an administrator passes every check."""
        return self.user.has_role(*roles)


login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(user_id: str) -> SignedInUser | None:
    try:
        user = db_session().get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.active:
        return None
    return SignedInUser(user)


def wants_json() -> bool:
    """API calls and clients that ask for JSON get JSON errors, browsers get pages."""
    if request.blueprint == "api" or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


@login_manager.unauthorized_handler
def _unauthorized() -> Response | Any:
    if wants_json():
        response = jsonify(title="Unauthorized", status=401, detail="Sign in first.")
        response.status_code = 401
        return response
    from flask import flash

    flash(str(login_manager.login_message), login_manager.login_message_category)
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
