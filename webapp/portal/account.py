"""Portal accounts on the web: sign-up, activation, password reset and the profile page. The
answers never tell whether an e-mail address has an account (same page, same status)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.access.models import User
from engine.accounts import profile as profile_commands
from engine.accounts import signup as signup_commands
from engine.accounts.codes import CodeCheck, CodeProblem
from engine.accounts.errors import AccountInvalid
from engine.accounts.mails import TEXTS
from engine.accounts.models import CodePurpose, OneTimeCode
from engine.db import utcnow
from webapp.context import db_session, services
from webapp.i18n import SESSION_KEY
from webapp.portal.account_forms import (
    EmailChangeSchema,
    PasswordChangeSchema,
    ProfileSchema,
    ResetSchema,
    SignupSchema,
    load,
)
from webapp.portal.blueprint import bp
from webapp.portal.context import account_required
from webapp.security import limiter_of
from webapp.transactions import command_transaction

ACTIVATION_KEY = "portal_activation_login"  # the address just signed up with, to fill the form
LIMITED_ENDPOINTS = ("signup", "activate", "resend_activation", "forgot_password", "reset_password")


def compose(purpose: str, locale: str | None, **params: str) -> tuple[str, str]:
    """The mail in the recipient's language (their account's, else the site's default)."""
    subject, body = TEXTS[purpose]
    with force_locale(locale or services().settings.default_locale):
        return _(subject, **params), _(body, **params)


def _account_rate_limit() -> str:
    return services().settings.account_rate_limit


def _translated(errors: dict[str, str]) -> dict[str, str]:
    return {field: _(message) for field, message in errors.items()}


def _locale() -> str | None:
    value = session.get(SESSION_KEY)
    return value if value in profile_commands.LOCALES else None


def _code_problem(result: CodeCheck) -> str:
    if result.problem is CodeProblem.EXPIRED:
        return _("This code has expired: ask for a new one.")
    if result.problem is CodeProblem.DEAD:
        return _("This code can no longer be used (already used, replaced or tried too often): ask for a new one.")
    return _("This code is wrong: check the last e-mail we sent, or ask for a new code.")


# --- sign-up and activation -------------------------------------------------------------------

@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Any:
    if request.method == "GET":
        return render_template("portal/account/signup.html", values={}, errors={})
    values = {key: request.form.get(key, "").strip() for key in ("first_name", "last_name", "username", "email")}
    data, errors = load(SignupSchema(), request.form)
    if not errors and not data["username"].strip():
        values["username"] = signup_commands.propose_username(db_session(), data["first_name"], data["last_name"])
        errors = {"username": "We propose this username: change it if you like, then send the form again."}
    if not errors:
        try:
            with command_transaction() as db:
                signup_commands.sign_up(db, first_name=data["first_name"], last_name=data["last_name"],
                                        username=data["username"], email=data["email"], password=data["password"],
                                        locale=_locale(), compose=compose)
        except IntegrityError:  # the same username or address taken by a sign-up a moment earlier
            errors = {"username": signup_commands.USERNAME_TAKEN}
        except AccountInvalid as invalid:
            errors = invalid.errors
        if errors.get("username") == signup_commands.USERNAME_TAKEN:
            values["username"] = signup_commands.propose_username(db_session(), data["first_name"],
                                                                  data["last_name"])
    if errors:
        return render_template("portal/account/signup.html", values=values, errors=_translated(errors)), 422
    session[ACTIVATION_KEY] = data["email"].strip().lower()
    return redirect(url_for("portal.activate", sent=1))


@bp.route("/activate", methods=["GET", "POST"])
def activate() -> Any:
    login = request.form.get("login", session.get(ACTIVATION_KEY, "")).strip()
    if request.method == "GET":
        return render_template("portal/account/activate.html", login=login, errors={},
                               sent=bool(request.args.get("sent")))
    code = request.form.get("code", "").strip()
    with command_transaction() as db:
        result = signup_commands.activate(db, login, code)  # wrong attempts are counted: commit them
    if not result.ok:
        return render_template("portal/account/activate.html", login=login, sent=False,
                               errors={"code": _code_problem(result)}), 422
    session.pop(ACTIVATION_KEY, None)
    flash(_("Your account is active. Sign in with your username or your e-mail address."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/activate/resend")
def resend_activation() -> Any:
    login = request.form.get("login", "").strip()
    if login:
        with command_transaction() as db:
            signup_commands.resend_activation(db, login, compose)
        session[ACTIVATION_KEY] = login
    flash(_("If an account awaits activation there, a new code is on its way; the previous code no longer works."),
          "info")
    return redirect(url_for("portal.activate"))


# --- password reset ---------------------------------------------------------------------------

@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Any:
    if request.method == "GET":
        return render_template("portal/account/forgot.html", sent=False)
    email = request.form.get("email", "").strip()
    if email:
        with command_transaction() as db:
            profile_commands.request_password_reset(
                db, email, lambda token: url_for("portal.reset_password", token=token, _external=True), compose)
    return render_template("portal/account/forgot.html", sent=True)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    if not profile_commands.check_reset_link(db_session(), token).ok:
        return render_template("portal/account/reset_invalid.html"), 410
    if request.method == "GET":
        return render_template("portal/account/reset.html", token=token, errors={})
    data, errors = load(ResetSchema(), request.form)
    if not errors:
        try:
            with command_transaction() as db:
                result = profile_commands.reset_password(db, token, data["password"])
        except AccountInvalid as invalid:
            errors = invalid.errors
        else:
            if not result.ok:
                return render_template("portal/account/reset_invalid.html"), 410
    if errors:
        return render_template("portal/account/reset.html", token=token, errors=_translated(errors)), 422
    flash(_("Your password is changed. Sign in with it."), "success")
    return redirect(url_for("auth.login"))


# --- profile ----------------------------------------------------------------------------------

def _profile_page(errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  status: int = 200) -> Any:
    user = db_session().get(User, current_user.id)
    pending = _pending_email(user.id) if user is not None else None
    return render_template("portal/account/profile.html", user=user, errors=_translated(errors or {}),
                           values=values or {}, pending_email=pending), status


def _pending_email(user_id: int) -> str | None:
    row = db_session().scalar(select(OneTimeCode).where(OneTimeCode.user_id == user_id,
                                                        OneTimeCode.purpose == CodePurpose.EMAIL_CHANGE.value)
                              .order_by(OneTimeCode.id.desc()).limit(1))
    return row.new_email if row is not None and row.is_open(utcnow()) else None


@bp.get("/profile")
@account_required
def profile() -> Any:
    return _profile_page()


@bp.post("/profile")
@account_required
def update_profile() -> Any:
    data, errors = load(ProfileSchema(), request.form)
    if errors:
        return _profile_page(errors, dict(request.form), 422)
    try:
        with command_transaction() as db:
            profile_commands.update_profile(db, current_user.id, first_name=data["first_name"],
                                            last_name=data["last_name"], phone=data["phone"], locale=data["locale"])
    except AccountInvalid as invalid:
        return _profile_page(invalid.errors, dict(request.form), 422)
    session[SESSION_KEY] = data["locale"]
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("portal.profile"))


@bp.post("/profile/password")
@account_required
def change_password() -> Any:
    data, errors = load(PasswordChangeSchema(), request.form)
    if not errors:
        try:
            with command_transaction() as db:
                profile_commands.change_password(db, current_user.id, current=data["current_password"],
                                                 new=data["new_password"])
        except AccountInvalid as invalid:
            errors = invalid.errors
    if errors:
        return _profile_page(errors, status=422)
    flash(_("Your password is changed."), "success")
    return redirect(url_for("portal.profile"))


@bp.post("/profile/email")
@account_required
def request_email_change() -> Any:
    data, errors = load(EmailChangeSchema(), request.form)
    if not errors:
        try:
            with command_transaction() as db:
                profile_commands.request_email_change(db, current_user.id, data["new_email"], compose)
        except AccountInvalid as invalid:
            errors = invalid.errors
    if errors:
        return _profile_page(errors, dict(request.form), 422)
    flash(_("We sent a code to the new address. Enter it below: until then your e-mail address stays the same."),
          "info")
    return redirect(url_for("portal.profile"))


@bp.post("/profile/email/confirm")
@account_required
def confirm_email_change() -> Any:
    with command_transaction() as db:
        result = profile_commands.confirm_email_change(db, current_user.id, request.form.get("code", ""), compose)
    if not result.ok:
        return _profile_page({"code": _code_problem(result)}, status=422)
    flash(_("Your e-mail address is changed."), "success")
    return redirect(url_for("portal.profile"))


@bp.record_once
def _limit_account_forms(state: BlueprintSetupState) -> None:
    """POSTs of sign-up, activation, resend and reset are limited per client address. Recorded
    after the routes, so their views exist and are swapped for the limited ones."""
    limiter = limiter_of(state.app)
    for name in LIMITED_ENDPOINTS:
        endpoint = f"{bp.name}.{name}"
        view = state.app.view_functions[endpoint]
        state.app.view_functions[endpoint] = limiter.limit(_account_rate_limit, methods=["POST"],
                                                           scope=f"portal-account-{name}")(view)
