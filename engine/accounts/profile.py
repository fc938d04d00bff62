"""Profile commands of a portal account: names, phone and language; password change (needs the
current one); e-mail change (confirmed by a code sent to the new address); password reset."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.access.passwords import hash_password, password_problem, verify_password
from engine.accounts.audit import audit_user
from engine.accounts.codes import (
    CodeCheck,
    CodeProblem,
    check_code,
    issue_code,
    issue_reset_token,
    kill_open_codes,
    reset_token_row,
)
from engine.accounts.errors import AccountInvalid
from engine.accounts.mails import Composer, english
from engine.accounts.models import CodePurpose
from engine.db import utcnow
from engine.notify import queue_notification
from engine.workflow.errors import NotFound

LOCALES = ("fr", "nl", "en")


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def update_profile(session: Session, user_id: int, *, first_name: str, last_name: str, phone: str | None,
                   locale: str | None) -> None:
    first_name, last_name, phone = first_name.strip(), last_name.strip(), (phone or "").strip() or None
    errors = {}
    if not first_name:
        errors["first_name"] = "Enter your first name."
    if not last_name:
        errors["last_name"] = "Enter your last name."
    if locale not in LOCALES:
        errors["locale"] = "Choose French, Dutch or English."
    if errors:
        raise AccountInvalid(errors)
    user = _user(session, user_id)
    changed = sorted(field for field, value in (("first_name", first_name), ("last_name", last_name),
                                                ("phone", phone), ("locale", locale))
                     if getattr(user, field) != value)
    user.first_name, user.last_name, user.phone, user.locale = first_name, last_name, phone, locale
    user.name = f"{first_name} {last_name}"
    audit_user(session, user.id, "profile_updated", user.id, fields=changed)


def change_password(session: Session, user_id: int, *, current: str, new: str) -> None:
    user = _user(session, user_id)
    if not verify_password(user.password_hash, current):
        raise AccountInvalid({"current_password": "The current password is wrong."})
    problem = password_problem(new)
    if problem:
        raise AccountInvalid({"new_password": problem})
    user.password_hash = hash_password(new)
    kill_open_codes(session, user.id, CodePurpose.PASSWORD_RESET)
    audit_user(session, user.id, "password_changed", user.id)


def request_email_change(session: Session, user_id: int, new_email: str, compose: Composer = english) -> None:
    """Send a code to the new address; the e-mail stays the old one until the code is entered.
    An address already in use gets the "someone tried" mail instead, and the answer is the same."""
    user = _user(session, user_id)
    new_email = new_email.strip().lower()
    if "@" not in new_email or len(new_email) > 254:
        raise AccountInvalid({"new_email": "Enter an e-mail address such as name@example.be."})
    if new_email == user.email:
        raise AccountInvalid({"new_email": "This is already your e-mail address."})
    owner = session.scalar(select(User).where(User.email == new_email))
    if owner is not None:
        subject, body = compose("account_exists", owner.locale, name=owner.name)
        queue_notification(session, recipient=owner.email, subject=subject, body=body, purpose="account_exists",
                           user_id=owner.id)
        kill_open_codes(session, user.id, CodePurpose.EMAIL_CHANGE)
        audit_user(session, user.id, "email_change_requested", user.id, address_in_use=True)
        return
    code = issue_code(session, user.id, CodePurpose.EMAIL_CHANGE, new_email=new_email)
    subject, body = compose("email_change", user.locale, name=user.name, code=code)
    queue_notification(session, recipient=new_email, subject=subject, body=body, purpose="email_change",
                       user_id=user.id)
    audit_user(session, user.id, "email_change_requested", user.id)


def confirm_email_change(session: Session, user_id: int, code: str, compose: Composer = english) -> CodeCheck:
    user = _user(session, user_id)
    result = check_code(session, user.id, CodePurpose.EMAIL_CHANGE, code)
    if not result.ok or result.code is None or result.code.new_email is None:
        audit_user(session, user.id, "email_change_refused", user.id, reason=str(result.problem))
        return result if not result.ok else CodeCheck(result.code, CodeProblem.DEAD)
    new_email = result.code.new_email
    if session.scalar(select(User.id).where(User.email == new_email, User.id != user.id)) is not None:
        return CodeCheck(result.code, CodeProblem.DEAD)  # taken meanwhile
    old_email = user.email
    user.email = new_email
    subject, body = compose("email_changed", user.locale, name=user.name, new_email=new_email)
    queue_notification(session, recipient=old_email, subject=subject, body=body, purpose="email_changed",
                       user_id=user.id)
    audit_user(session, user.id, "email_changed", user.id)
    return result


def request_password_reset(session: Session, email: str, link_for: Callable[[str], str],
                           compose: Composer = english) -> None:
    """Mail a one-hour, single-use reset link when the address has an active portal account;
    silent otherwise (staff passwords are managed in the back office or the directory)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active or not user.is_portal:
        return
    token = issue_reset_token(session, user.id)
    subject, body = compose("password_reset", user.locale, name=user.name, link=link_for(token))
    queue_notification(session, recipient=user.email, subject=subject, body=body, purpose="password_reset",
                       user_id=user.id)
    audit_user(session, user.id, "password_reset_requested", None)


def check_reset_link(session: Session, token: str) -> CodeCheck:
    return reset_token_row(session, token)


def reset_password(session: Session, token: str, new_password: str) -> CodeCheck:
    """Set a new password through a reset link; the link and every other open link die. The link
    came through the address, so an account still awaiting activation is activated too."""
    result = reset_token_row(session, token, lock=True)
    if not result.ok or result.code is None:
        return result
    problem = password_problem(new_password)
    if problem:
        raise AccountInvalid({"password": problem})
    user = _user(session, result.code.user_id)
    now = utcnow()
    result.code.used_at = now
    kill_open_codes(session, user.id, CodePurpose.PASSWORD_RESET)
    user.password_hash = hash_password(new_password)
    if user.is_portal and user.activated_at is None:
        user.activated_at = now
    audit_user(session, user.id, "password_reset", None)
    return result
