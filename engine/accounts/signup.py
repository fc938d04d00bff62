"""Sign-up and activation of portal accounts. Signing up with an address that already has an
account answers exactly like a new sign-up (no user enumeration); the owner of the address gets
a mail instead of a code."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.models import AccountKind, User
from engine.access.passwords import hash_password, password_problem
from engine.access.users import find_by_login
from engine.accounts.audit import audit_user
from engine.accounts.codes import CodeCheck, CodeProblem, check_code, issue_code
from engine.accounts.errors import AccountInvalid
from engine.accounts.mails import Composer, english
from engine.accounts.models import CodePurpose
from engine.db import utcnow
from engine.notify import queue_notification

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
USERNAME_TAKEN = "This username is taken: we propose a free one, change it if you like."


def _ascii_letters(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def username_taken(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username)) is not None


def propose_username(session: Session, first_name: str, last_name: str) -> str:
    """First initial + last name ("Sophie Peeters" -> "speeters"), numbered when taken."""
    base = (_ascii_letters(first_name)[:1] + _ascii_letters(last_name))[:55] or "user"
    base = base if len(base) >= 3 else base + "user"
    candidate, number = base, 1
    while username_taken(session, candidate):
        number += 1
        candidate = f"{base}{number}"
    return candidate


def sign_up(session: Session, *, first_name: str, last_name: str, username: str, email: str, password: str,
            locale: str | None = None, compose: Composer = english) -> int | None:
    """Create a portal account awaiting activation and mail it a code. Returns the new account's
    id, or None when the address already had an account (its owner was told by mail)."""
    first_name, last_name = first_name.strip(), last_name.strip()
    username, email = username.strip().lower(), email.strip().lower()
    errors: dict[str, str] = {}
    if not USERNAME.match(username):
        errors["username"] = ("A username has 3 to 60 characters: lower-case letters, digits, dots, dashes or "
                              "underscores, starting with a letter or a digit.")
    elif username_taken(session, username):
        errors["username"] = USERNAME_TAKEN
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    if errors:
        raise AccountInvalid(errors)
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None:
        subject, body = compose("account_exists", existing.locale, name=existing.name)
        queue_notification(session, recipient=existing.email, subject=subject, body=body, purpose="account_exists",
                           user_id=existing.id)
        audit_user(session, existing.id, "signup_with_existing_email", None)
        return None
    user = User(email=email, name=f"{first_name} {last_name}", kind=AccountKind.PORTAL.value, username=username,
                first_name=first_name, last_name=last_name, password_hash=hash_password(password), locale=locale,
                activated_at=None, created_at=utcnow())
    user.roles = set()
    session.add(user)
    session.flush()
    audit_user(session, user.id, "portal_signup", user.id, username=username)
    _send_activation(session, user, compose)
    return user.id


def _send_activation(session: Session, user: User, compose: Composer) -> None:
    code = issue_code(session, user.id, CodePurpose.ACTIVATION)
    subject, body = compose("account_activation", user.locale, name=user.name, code=code)
    queue_notification(session, recipient=user.email, subject=subject, body=body, purpose="account_activation",
                       user_id=user.id)


def _awaiting(session: Session, login: str) -> User | None:
    user = find_by_login(session, login)
    return user if user is not None and user.is_portal and user.activated_at is None and user.active else None


def resend_activation(session: Session, login: str, compose: Composer = english) -> None:
    """A new code for an account awaiting activation (the old one dies); silent otherwise."""
    user = _awaiting(session, login)
    if user is None:
        return
    audit_user(session, user.id, "activation_code_resent", None)
    _send_activation(session, user, compose)


def activate(session: Session, login: str, code: str) -> CodeCheck:
    """Activate the account named by ``login`` (e-mail or username) with ``code``. An unknown or
    already active account gives the same answer as a wrong code."""
    user = _awaiting(session, login)
    if user is None:
        return CodeCheck(None, CodeProblem.WRONG)
    result = check_code(session, user.id, CodePurpose.ACTIVATION, code)
    if result.ok:
        user.activated_at = utcnow()
        audit_user(session, user.id, "account_activated", user.id)
    else:
        audit_user(session, user.id, "activation_refused", None, reason=str(result.problem))
    return result
