"""Writing and searching the access log.

Writing is one multi-row INSERT (``write``): the web app collects a request's entries and writes
them after the response is built (webapp/privacy/recorder.py); engine commands that change a
contact get their entry in their own transaction (mirror.py). Where a request came from travels
in a context variable the web app sets per request, so engine code need not know about Flask."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.privacy.models import PATH_MAX, USER_AGENT_MAX, AccessAction, AccessLog


@dataclass(frozen=True)
class Origin:
    """Where a request came from: the client address (after the trusted proxies), its user agent
    and the path asked for."""

    ip: str | None = None
    user_agent: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str


current_origin: ContextVar[Origin | None] = ContextVar("guichet_access_origin", default=None)
current_actor: ContextVar[Actor | None] = ContextVar("guichet_access_actor", default=None)


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value else value


def entry(action: AccessAction | str, record_type: str, record_id: int | None = None, *,
          actor: Actor | None = None, record_key: str | None = None, rows: int | None = None,
          origin: Origin | None = None, at: dt.datetime | None = None) -> dict[str, Any]:
    """One row's values; actor and origin default to the current request's."""
    actor = actor or current_actor.get() or Actor(None, "")
    origin = origin or current_origin.get() or Origin()
    return {
        "at": at or utcnow(),
        "actor_id": actor.id,
        "actor_name": (actor.name or "")[:254],
        "action": AccessAction(action).value,
        "record_type": record_type,
        "record_id": record_id,
        "record_key": _cut(record_key, 100),
        "rows": rows,
        "ip": _cut(origin.ip, 45),
        "user_agent": _cut(origin.user_agent, USER_AGENT_MAX),
        "path": _cut(origin.path, PATH_MAX),
    }


def write(bind: Session | Connection, entries: Sequence[dict[str, Any]]) -> None:
    """Append the entries: one INSERT statement, in the caller's transaction."""
    if entries:
        bind.execute(insert(AccessLog), list(entries))


# -- the data-protection officer's search -------------------------------------------------------

@dataclass(frozen=True)
class LogFilter:
    person: str = ""  # part of the acting person's name (or the e-mail typed at a failed sign-in)
    actor_id: int | None = None
    record_type: str = ""
    record_id: int | None = None
    action: str = ""
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive


@dataclass
class LogPage:
    rows: list[AccessLog]
    next_after: int | None  # the id to pass as ``after`` for the next page, None on the last
    filters: LogFilter = field(default_factory=LogFilter)


def _query(filters: LogFilter) -> Select[tuple[AccessLog]]:
    query = select(AccessLog)
    if filters.person:
        query = query.where(func.lower(AccessLog.actor_name).contains(filters.person.lower(), autoescape=True))
    if filters.actor_id is not None:
        query = query.where(AccessLog.actor_id == filters.actor_id)
    if filters.record_type:
        query = query.where(AccessLog.record_type == filters.record_type)
    if filters.record_id is not None:
        query = query.where(AccessLog.record_id == filters.record_id)
    if filters.action:
        query = query.where(AccessLog.action == filters.action)
    if filters.since is not None:
        query = query.where(AccessLog.at >= filters.since)
    if filters.until is not None:
        query = query.where(AccessLog.at < filters.until)
    return query


def search(session: Session, filters: LogFilter, *, after: int | None = None, limit: int = 50) -> LogPage:
    """Newest first, keyset-paged on the id (ids grow with time: no OFFSET, every page costs the
    same)."""
    query = _query(filters)
    if after is not None:
        query = query.where(AccessLog.id < after)
    rows = list(session.scalars(query.order_by(AccessLog.id.desc()).limit(limit + 1)))
    next_after = rows[limit - 1].id if len(rows) > limit else None
    return LogPage(rows[:limit], next_after, filters)


CSV_COLUMNS = ("id", "at", "actor_id", "actor_name", "action", "record_type", "record_id", "record_key",
               "rows", "ip", "user_agent", "path")
EXPORT_MAX_ROWS = 100_000


def matching(session: Session, filters: LogFilter, *, batch: int = 1000) -> Iterator[AccessLog]:
    """Every matching row, newest first, read in keyset batches (bounded memory)."""
    after: int | None = None
    produced = 0
    while produced < EXPORT_MAX_ROWS:
        page = search(session, filters, after=after, limit=batch)
        yield from page.rows
        produced += len(page.rows)
        if page.next_after is None:
            return
        after = page.next_after


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """Texts come from outside (the address typed at a failed sign-in, a user agent): one that a
    spreadsheet would run as a formula is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: Iterable[AccessLog]) -> tuple[str, int]:
    """The CSV text and how many rows it holds."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in rows:
        values = [getattr(row, name) for name in CSV_COLUMNS]
        values[1] = row.at.isoformat()
        writer.writerow([_cell(value) for value in values])
        count += 1
    return out.getvalue(), count
