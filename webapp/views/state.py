"""What one request asks of a list: the saved view it starts from, the columns and their widths,
the filters (``f=column:op:value``), the sort, the search text and the page cursor. Everything
is checked here; a mistake becomes a :class:`ViewError` whose message says what to fix."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from engine.views.commands import ViewDefinition
from engine.views.models import SavedView
from webapp.views.columns import ColumnType, ListEntity, Op, ViewColumn

MAX_FILTERS = 20
MAX_SEARCH = 200
MIN_WIDTH, MAX_WIDTH = 40, 1200
TRUE_WORDS = {"true", "yes", "1", "oui", "ja", "on"}
FALSE_WORDS = {"false", "no", "0", "non", "nee", "off"}


class ViewError(ValueError):
    """A request the list cannot answer; ``str(error)`` tells the reader what to change."""


@dataclass(frozen=True)
class ParsedFilter:
    column: ViewColumn
    op: Op
    raw: str  # the value as written
    values: tuple[Any, ...]  # parsed: one value, two for between, several for in, none for has/hasnot

    @property
    def text(self) -> str:
        return f"{self.column.key}:{self.op.value}:{self.raw}"


@dataclass(frozen=True)
class Cursor:
    """The last (or first) row of a page: its sort value and id, tied to the sort it came from."""

    sort: str
    value: Any
    row_id: int

    def encode(self) -> str:
        payload = json.dumps([self.sort, _dump(self.value), self.row_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            sort, value, row_id = json.loads(raw)
            if not isinstance(sort, str) or not isinstance(row_id, int):
                raise ValueError
            return cls(sort, _load(value), row_id)
        except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
            raise ViewError(_("The page link is damaged; go back to the first page of the list.")) from exc


def _dump(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def _load(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "n" in value:
            return Decimal(value["n"])
        raise ValueError(value)
    return value


@dataclass
class ViewState:
    entity: ListEntity
    columns: list[tuple[ViewColumn, int | None]]
    filters: list[ParsedFilter]
    sort: ViewColumn
    descending: bool
    search: str = ""
    view: SavedView | None = None
    own: bool = False  # the filters given replace the saved view's (the editor sends them all)
    after: Cursor | None = None
    before: Cursor | None = None
    extra_filters: list[str] = field(default_factory=list)  # given on top of the saved view's
    branches: list[Any] | None = None  # the search's branches, once computed (webapp/views/query.py)

    @property
    def sort_key(self) -> str:
        return f"-{self.sort.key}" if self.descending else self.sort.key

    def definition(self) -> ViewDefinition:
        return ViewDefinition(columns=[{"key": c.key, "width": w} for c, w in self.columns], sort=self.sort_key,
                              filters=[f.text for f in self.filters], search=self.search)

    def params(self, *, keep_view: bool = True) -> list[tuple[str, str]]:
        """The query string that shows exactly this list (first page), standing alone: the
        columns, filters, sort and search are spelled out, the view is named for the page's menu."""
        out: list[tuple[str, str]] = []
        if keep_view and self.view is not None:
            out += [("view", str(self.view.id)), ("own", "1")]
        out += [("c", f"{c.key}:{w}" if w else c.key) for c, w in self.columns]
        out += [("f", f.text) for f in self.filters]
        out.append(("sort", self.sort_key))
        if self.search:
            out.append(("q", self.search))
        return out


def _date(text: str, today: dt.date) -> dt.date:
    text = text.strip()
    if text.lower() == "today":
        return today
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ViewError(_("'%(value)s' is not a date: write it as YYYY-MM-DD (for example 2024-01-31) or "
                          "'today'.", value=text)) from exc


def _number(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ViewError(_("'%(value)s' is not a number.", value=text)) from exc
    if not value.is_finite():
        raise ViewError(_("'%(value)s' is not a number.", value=text))
    return value


def _one(column: ViewColumn, text: str, user_id: int, today: dt.date) -> Any:
    text = text.strip()
    if column.type == ColumnType.DATE:
        return _date(text, today)
    if column.type == ColumnType.NUMBER:
        return _number(text)
    if column.type == ColumnType.BOOL:
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ViewError(_("%(column)s is yes or no: write true or false.", column=column.label))
    if column.type == ColumnType.USER:
        if text.lower() == "me":
            return user_id
        if text.isdigit():
            return int(text)
        raise ViewError(_("%(column)s: give a user number or 'me'.", column=column.label))
    if not text:
        raise ViewError(_("The filter on %(column)s needs a value.", column=column.label))
    if column.type == ColumnType.CHOICE and column.choices is not None and not column.open_choices:
        codes = [code for code, _label in column.choices()]
        if text not in codes:
            raise ViewError(_("'%(value)s' is not a value of %(column)s; choose one of: %(codes)s.",
                              value=text, column=column.label, codes=", ".join(codes)))
    return text


def parse_filter(entity: ListEntity, text: str, *, user_id: int, today: dt.date) -> ParsedFilter:
    key, _sep, rest = text.partition(":")
    op_text, _sep, raw = rest.partition(":")
    column = entity.column(key.strip())
    if column is None:
        raise ViewError(_("There is no column '%(key)s' in this list; filter on one of: %(keys)s.",
                          key=key, keys=", ".join(entity.columns)))
    try:
        op = Op(op_text.strip())
    except ValueError:
        op = None
    if op is None or op not in column.ops:
        raise ViewError(_("'%(op)s' is not a filter for %(column)s; use one of: %(ops)s.", op=op_text,
                          column=column.label, ops=", ".join(o.value for o in column.ops)))
    if op in (Op.HAS, Op.HASNOT):
        return ParsedFilter(column, op, "", ())
    if op == Op.BETWEEN:
        low, sep, high = raw.partition("..")
        if not sep or not low.strip() or not high.strip():
            raise ViewError(_("'between' needs two values: write from..to (for example 2024-01-01..2024-06-30)."))
        values = (_one(column, low, user_id, today), _one(column, high, user_id, today))
        if values[0] > values[1]:
            raise ViewError(_("The first value of 'between' comes after the second; swap them."))
        return ParsedFilter(column, op, raw.strip(), values)
    if op == Op.IN:
        items = [item for item in raw.split("|") if item.strip()]
        if not items:
            raise ViewError(_("'in' needs values separated by | (for example a|b|c)."))
        return ParsedFilter(column, op, raw.strip(), tuple(_one(column, item, user_id, today) for item in items))
    if column.type in (ColumnType.TEXT,) and not raw.strip():
        raise ViewError(_("The filter on %(column)s needs a value.", column=column.label))
    return ParsedFilter(column, op, raw.strip(), (_one(column, raw, user_id, today),))


def parse_sort(entity: ListEntity, text: str) -> tuple[ViewColumn, bool]:
    text = (text or entity.default_sort).strip()
    descending = text.startswith("-")
    key = text.lstrip("-+")
    column = entity.column(key)
    if column is None or not column.sortable:
        sortable = [c.key for c in entity.columns.values() if c.sortable]
        raise ViewError(_("The list cannot be sorted on '%(key)s'; sort on one of: %(keys)s.", key=key,
                          keys=", ".join(sortable)))
    return column, descending


def parse_columns(entity: ListEntity, items: Iterable[Any], widths: Mapping[str, str] | None = None
                  ) -> list[tuple[ViewColumn, int | None]]:
    """``items``: "key" or "key:width" strings, or {"key", "width"} dicts (a saved view)."""
    chosen: list[tuple[ViewColumn, int | None]] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, Mapping):
            key, width_text = str(item.get("key", "")), str(item.get("width") or "")
        else:
            key, _sep, width_text = str(item).partition(":")
        key = key.strip()
        column = entity.column(key)
        if column is None:
            raise ViewError(_("There is no column '%(key)s' in this list; choose among: %(keys)s.", key=key,
                              keys=", ".join(entity.columns)))
        if key in seen:
            continue
        seen.add(key)
        width_text = ((widths or {}).get(key) or width_text or "").strip()
        chosen.append((column, _width(column, width_text)))
    if not chosen:
        raise ViewError(_("Show at least one column."))
    return chosen


def _width(column: ViewColumn, text: str) -> int | None:
    if not text:
        return None
    try:
        width = int(float(text))
    except ValueError as exc:
        raise ViewError(_("The width of %(column)s is a number of pixels.", column=column.label)) from exc
    return min(max(width, MIN_WIDTH), MAX_WIDTH)


def clean_search(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) > MAX_SEARCH:
        raise ViewError(_("The search text is too long: at most %(n)d characters.", n=MAX_SEARCH))
    return text
