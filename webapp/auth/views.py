"""Sign in, sign out, and the language switch."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from engine.access.models import User
from engine.access.users import AccountNotActivated, authenticate
from integrations.directory import LoginRefused, Refusal, sign_in
from webapp.auth.blueprint import bp
from webapp.auth.directory import directory_login
from webapp.auth.identity import SignedInUser
from webapp.i18n import LANGUAGES, SESSION_KEY
from webapp.navigation import safe_next_url
from webapp.privacy.recorder import Actor, record_access  # the access log of personal data
from webapp.transactions import command_transaction


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = safe_next_url(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(next_url or url_for("home.index"))
        return render_template("auth/login.html", next_url=next_url, email="")
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    try:
        with command_transaction() as db:
            user, refusal = _authenticate(db, email, password)
            if user is not None and user.locale is None and session.get(SESSION_KEY) in LANGUAGES:
                user.locale = session[SESSION_KEY]  # keep the language chosen before signing in
    except AccountNotActivated as waiting:
        # the right password, but the address is not confirmed yet: to the code, not signed in
        session["portal_activation_login"] = waiting.email
        flash(_("Your account is not activated yet: enter the code we sent you by e-mail."), "info")
        return redirect(url_for("portal.activate"))
    if user is None:
        record_access("sign_in_failed", "user", actor=Actor(None, email))
        if refusal is Refusal.UNAVAILABLE:
            flash(_("The directory is unavailable, so directory accounts cannot sign in right now. "
                    "Try again in a few minutes."), "error")
            return render_template("auth/login.html", next_url=next_url, email=email), 503
        flash(_("The e-mail address or the password is wrong."), "error")  # also for a username
        return render_template("auth/login.html", next_url=next_url, email=email), 401
    locale = session.get(SESSION_KEY)
    session.clear()  # a fresh session on sign-in: nothing set before it survives (session fixation)
    if locale:
        session[SESSION_KEY] = locale
    login_user(SignedInUser(user))
    record_access("sign_in", "user", user.id, actor=Actor(user.id, user.name))
    flash(_("Welcome, %(name)s.", name=user.name), "success")
    return redirect(next_url or url_for("home.index"))


def _authenticate(db: Any, email: str, password: str) -> tuple[User | None, Refusal | None]:
    """The user, or why not: through the directory when one is configured, else local accounts."""
    if not email or not password:
        return None, Refusal.WRONG
    configured = directory_login()
    if configured is None:
        user = authenticate(db, email, password)
        return user, None if user is not None else Refusal.WRONG
    try:
        return sign_in(db, configured.directory, configured.role_map, email, password,
                       local_accounts=configured.local_accounts), None
    except LoginRefused as refused:
        return None, refused.reason


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    locale = current_user.locale or session.get(SESSION_KEY)
    logout_user()
    session.clear()
    if locale:
        session[SESSION_KEY] = locale
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language() -> Any:
    """Remember the chosen language: on the account when signed in, in the session always."""
    locale = request.form.get("locale", "")
    if locale not in LANGUAGES:
        flash(_("This language is not available."), "error")
        return redirect(safe_next_url(request.form.get("next")) or url_for("home.index"))
    session[SESSION_KEY] = locale
    if current_user.is_authenticated:
        user_id = current_user.id
        with command_transaction() as db:
            user = db.get(User, user_id)
            if user is not None:
                user.locale = locale
    return redirect(safe_next_url(request.form.get("next")) or url_for("home.index"))
