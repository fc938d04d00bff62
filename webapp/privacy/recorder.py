"""``record_access(...)``: the one line a view adds to log an access to personal data.

The entries of a request are collected on ``g`` and written after the response is built, in one
INSERT on a connection of their own: a page's read transaction stays read-only, a view never
waits for the log, and a view that fails before its response (404, 500) logs nothing it did not
show. Where the request came from (client address after the trusted proxies, user agent, path)
is also put in a context variable for the engine's own entries (contact changes, mirror.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextvars import Token
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask_login import current_user

from engine.privacy.access_log import Actor, Origin, current_actor, current_origin, entry, write
from engine.privacy.models import AccessAction

log = logging.getLogger(__name__)
PENDING = "access_log_pending"
T = TypeVar("T")


def _origin() -> Origin:
    return Origin(ip=request.remote_addr, user_agent=request.user_agent.string or None, path=request.path)


def signed_in_actor() -> Actor:
    if current_user and current_user.is_authenticated:
        return Actor(current_user.id, current_user.name)
    return Actor(None, "")


def record_access(action: AccessAction | str, record_type: str, record_id: int | None = None, *,
                  rows: int | None = None, record_key: str | None = None, actor: Actor | None = None) -> None:
    """Log an access of the signed-in person (or ``actor``: a sign-in names the account or the
    address typed) to a record; written after the response."""
    g.setdefault(PENDING, []).append(entry(action, record_type, record_id, rows=rows, record_key=record_key,
                                           actor=actor or signed_in_actor(), origin=_origin()))


def _set_origin() -> None:
    g.access_origin_token = current_origin.set(_origin())


def _flush(response: Response) -> Response:
    entries = g.pop(PENDING, None)
    if entries:
        _write_now(entries)
    return response


def _reset_origin(_exc: BaseException | None = None) -> None:
    token: Token[Any] | None = g.pop("access_origin_token", None)
    if token is not None:
        current_origin.reset(token)
    current_actor.set(None)


def init_recorder(app: Flask) -> None:
    app.before_request(_set_origin)
    app.after_request(_flush)
    app.teardown_request(_reset_origin)


def logged_export(rows: Iterable[T], record_type: str, record_key: str | None = None) -> Iterator[T]:
    """Pass the rows of an export through, then log the export with how many rows left. A CSV is
    streamed after the view returned (past ``after_request``), so this writes at once; a download
    cut short logs the rows sent so far."""
    actor, origin, count = signed_in_actor(), _origin(), 0
    try:
        for row in rows:
            count += 1
            yield row
    finally:
        _write_now([entry(AccessAction.EXPORT, record_type, rows=count, record_key=record_key,
                          actor=actor, origin=origin)])


def _write_now(entries: list[dict[str, Any]]) -> None:
    try:
        with current_app.extensions["guichet"].db.engine.begin() as connection:
            write(connection, entries)
    except Exception:  # the page was served; a lost log line is reported loudly, not to the visitor
        log.exception("could not write %d access-log entries", len(entries))
