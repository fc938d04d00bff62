"""Per-request access to the services and to one database session per request."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from webapp.bootstrap import Services


def services() -> Services:
    return current_app.extensions["guichet"]


def db_session() -> Session:
    """The request's session (created on first use, closed at teardown). Commands run inside
    ``with db_session().begin(): ...`` so that each is one transaction."""
    if "db_session" not in g:
        g.db_session = services().db.sessionmaker()
    return g.db_session


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
