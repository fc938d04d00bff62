"""Commands on accounts: create a user, issue and check API tokens, authenticate."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine.access.models import ApiToken, Role, User
from engine.access.passwords import hash_password, password_problem, verify_password
from engine.db import utcnow

LAST_USED_PRECISION = dt.timedelta(minutes=5)


class AccountError(ValueError):
    pass


class AccountNotActivated(AccountError):
    """The right password for a portal account whose e-mail address is not confirmed yet: the
    person is sent to the activation page, not signed in."""

    def __init__(self, user_id: int, email: str) -> None:
        super().__init__("This account is not activated yet.")
        self.user_id = user_id
        self.email = email


def create_user(
    session: Session,
    email: str,
    name: str,
    password: str,
    roles: list[Role] | set[Role],
    locale: str | None = None,
) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError(f"'{email}' is not an e-mail address.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"A user with e-mail {email} already exists.")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user = User(email=email, name=name, password_hash=hash_password(password), locale=locale)
    user.roles = set(roles)
    session.add(user)
    session.flush()
    return user


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not the password of anyone")


def find_by_login(session: Session, login: str) -> User | None:
    """The account named by ``login``: an e-mail address, or a portal account's username."""
    login = login.strip().lower()
    if not login:
        return None
    column = User.email if "@" in login else User.username
    return session.scalar(select(User).where(column == login))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The account for this e-mail address or username and password, or None. Raises
    :class:`AccountNotActivated` only after the right password, so it reveals nothing more."""
    user = find_by_login(session, email)
    if user is None or not user.active:
        verify_password(_dummy_hash(), password)  # same work as for a real account: no timing oracle
        return None
    if not verify_password(user.password_hash, password):
        return None
    if user.is_portal and user.activated_at is None:
        raise AccountNotActivated(user.id, user.email)
    user.last_login_at = utcnow()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str) -> str:
    """Create an API token; the clear token is returned once and never stored."""
    token = "gt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, name=name, token_hash=_digest(token)))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).options(joinedload(ApiToken.user))  # one query per API call
                         .where(ApiToken.token_hash == _digest(token), ApiToken.revoked.is_(False)))
    if row is None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        row.last_used_at = now  # a write per token every few minutes, not per request
    return row.user
