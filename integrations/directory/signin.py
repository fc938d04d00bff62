"""Sign-in when a directory is configured, and the local account kept in step with it.

* The directory knows the login and the password is right: the local user row (matched by
  e-mail) is created or updated with the directory's name, e-mail and roles (from the groups,
  at every sign-in), and any local password is removed: a directory user has none.
* The directory knows the login, the password is wrong: refused; no local password is tried.
* The directory does not know the login: a local account (one with a password, e.g. the
  fallback administrator) is tried, unless ``GUICHET_LDAP_LOCAL_ACCOUNTS`` is off.
* The directory does not answer: a local account (one with a password) may still sign in, unless
  ``GUICHET_LDAP_LOCAL_ACCOUNTS`` is off — that is what a fallback administrator is for. Everyone
  else is refused as "unavailable". A directory user has no local password (it is removed at
  their first directory sign-in), so no stale password can open a session meanwhile.
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.access.users import authenticate
from engine.db import utcnow
from integrations.directory.base import Directory, DirectoryUnavailable, DirectoryUser, UnknownUser, WrongPassword
from integrations.directory.roles import RoleMap


class Refusal(enum.StrEnum):
    WRONG = "wrong"  # unknown login, wrong password, or an account switched off in Guichet
    UNAVAILABLE = "unavailable"


class LoginRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


def sync_user(session: Session, person: DirectoryUser, role_map: RoleMap) -> User:
    """The local row of a directory user, created or brought up to date."""
    user = session.scalar(select(User).where(User.email == person.email))
    if user is None:
        user = User(email=person.email, name=person.name, password_hash=None)
        session.add(user)
    user.name = person.name
    user.password_hash = None
    user.roles = role_map.roles_for(person.groups)
    session.flush()
    return user


def sign_in(session: Session, directory: Directory, role_map: RoleMap, login: str, password: str,
            local_accounts: bool = True) -> User:
    """The user signing in, or :class:`LoginRefused` saying why not."""
    try:
        person = directory.authenticate(login, password)
    except WrongPassword:
        raise LoginRefused(Refusal.WRONG) from None
    except DirectoryUnavailable:
        user = authenticate(session, login, password) if local_accounts else None
        if user is None:
            raise LoginRefused(Refusal.UNAVAILABLE) from None
        return user
    except UnknownUser:
        user = authenticate(session, login, password) if local_accounts else None
        if user is None:
            raise LoginRefused(Refusal.WRONG) from None
        return user
    user = sync_user(session, person, role_map)
    if not user.active:
        raise LoginRefused(Refusal.WRONG)
    user.last_login_at = utcnow()
    return user
