"""Request parsing, transactions and pagination shared by the API views."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import request
from marshmallow import Schema, ValidationError
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.exc import StaleDataError

from engine.workflow.runtime import StaleInstance
from webapp.api.errors import ApiError
from webapp.context import db_session

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 10_000
STALE_MESSAGE = ("Someone else changed this case at the same moment; nothing of yours was saved. "
                 "Reload it and try again.")


def json_body(*, required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object (any content type is accepted)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ApiError(400, "This endpoint needs a JSON object in the request body.", code="missing_body")
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}", code="malformed_json") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object ({...}).", code="malformed_json")
    return data


def load_body(schema: type[Schema], *, required: bool = True) -> dict[str, Any]:
    """Parse and validate the JSON body; invalid fields become a 422 (see errors.py)."""
    return dict(schema().load(json_body(required=required)))


def load_query(schema: type[Schema]) -> dict[str, Any]:
    """Validate the query string; repeated parameters are not supported (the first wins)."""
    return dict(schema().load(request.args.to_dict()))


def run_command(action: Callable[[Session], T], *, retry_stale: bool = False) -> T:
    """Run ``action`` as one transaction on the request's session: committed when it returns,
    rolled back when it raises. With ``retry_stale``, a lost optimistic-lock race is retried
    once from scratch (the retry reloads everything, so it sees what the winner did)."""
    session = db_session()
    attempts = 2 if retry_stale else 1
    for attempt in range(1, attempts + 1):
        if session.in_transaction():  # an implicit read transaction; commands start clean
            session.commit()
        try:
            with session.begin():
                return action(session)
        except (StaleInstance, StaleDataError) as exc:
            if attempt == attempts:
                if isinstance(exc, StaleInstance):
                    raise
                raise StaleInstance(STALE_MESSAGE) from exc
    raise AssertionError("unreachable")


# ----------------------------------------------------------------- pagination


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id":
            raise ValueError(cursor)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError({"cursor": ["Not a cursor returned by this API; start again without it."]}) from None


@dataclass
class Page:
    items: Sequence[Any]
    limit: int
    offset: int
    next_cursor: str | None

    def as_dict(self, dumped_items: list[Any]) -> dict[str, Any]:
        return {"items": dumped_items, "limit": self.limit, "offset": self.offset,
                "next_cursor": self.next_cursor}


def paginate(session: Session, query: Select[Any], id_column: InstrumentedAttribute[int], args: dict[str, Any],
             *, descending: bool) -> Page:
    """Keyset pagination on ``id_column`` (``cursor``) with an optional ``offset`` after it.

    One extra row is read to know whether another page follows; no COUNT(*) is run, so the cost
    does not grow with the table."""
    limit = min(int(args.get("limit") or DEFAULT_LIMIT), MAX_LIMIT)
    offset = int(args.get("offset") or 0)
    cursor = args.get("cursor")
    if cursor:
        last = decode_cursor(cursor)
        query = query.where(id_column < last if descending else id_column > last)
    query = query.order_by(id_column.desc() if descending else id_column.asc())
    rows = list(session.scalars(query.offset(offset).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], id_column.key)) if more and rows else None
    return Page(items=rows, limit=limit, offset=offset, next_cursor=next_cursor)
