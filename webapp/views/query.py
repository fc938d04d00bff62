"""From a :class:`ViewState` to SQL: filters, the search box, sort with the id as tie-breaker,
and keyset paging (the cursor holds the last row's sort value and id; never OFFSET, so page 50
costs what page 1 costs when the sort column is indexed).

The search box looks into text columns of several tables. One OR over all of them would keep
PostgreSQL from using any index, so each table's columns form a *branch*: the page's query with
that one table's condition, ordered and limited to one page. A branch for a rare text uses the
trigram index; a branch for a common text walks the sort index and stops after a page. The page
is then taken from the union of the branches' ids (at most a page per branch)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    distinct,
    false,
    func,
    inspect,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import QueryableAttribute, Session

from webapp.views.columns import ColumnType, ListEntity, Op, ViewColumn
from webapp.views.state import Cursor, ParsedFilter, ViewError, ViewState

PAGE_SIZE = 50
COUNT_CAP = 1000
ESCAPE = "\\"


def _escape(text: str) -> str:
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def _day_start(column: ViewColumn, day: dt.date) -> Any:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) if column.timestamp else day


def _is_plain(expr: Any) -> bool:
    return isinstance(expr, QueryableAttribute)


def filter_condition(f: ParsedFilter) -> ColumnElement[bool]:
    column, expr, values = f.column, f.column.expr, f.values
    text = column.type == ColumnType.TEXT
    if f.op == Op.HAS:
        return and_(expr.is_not(None), expr != "") if text else expr.is_not(None)
    if f.op == Op.HASNOT:
        return or_(expr.is_(None), expr == "") if text else expr.is_(None)
    if f.op == Op.CONTAINS:
        return expr.ilike(f"%{_escape(values[0])}%", escape=ESCAPE)
    if f.op == Op.BEGINS:
        return expr.ilike(f"{_escape(values[0])}%", escape=ESCAPE)
    if column.type == ColumnType.BOOL:
        if _is_plain(expr):
            return expr == values[0]
        return expr if values[0] else not_(expr)
    if column.type == ColumnType.DATE:
        low, high = (values[0], values[0]) if f.op == Op.EQ else (values + values)[:2]
        if f.op == Op.BEFORE:
            return expr < _day_start(column, low)
        if f.op == Op.AFTER:
            return expr >= _day_start(column, low + dt.timedelta(days=1))
        return and_(expr >= _day_start(column, low), expr < _day_start(column, high + dt.timedelta(days=1)))
    if f.op == Op.IN:
        return func.lower(expr).in_([v.lower() for v in values]) if text else expr.in_(values)
    if f.op == Op.EQ:
        return func.lower(expr) == values[0].lower() if text else expr == values[0]
    if f.op == Op.BEFORE:
        return expr < values[0]
    if f.op == Op.AFTER:
        return expr > values[0]
    return and_(expr >= values[0], expr <= values[1])  # between (numbers)


def search_pattern(search: str) -> str | None:
    """``*text`` looks for text anywhere, ``text`` at the start of a value (case-insensitive)."""
    contains = search.startswith("*")
    text = search.lstrip("*").strip()
    if not text:
        return None
    return f"%{_escape(text)}%" if contains else f"{_escape(text)}%"


def _from(entity: ListEntity, names: set[str]) -> Any:
    source = inspect(entity.base).selectable
    for name in entity.ordered_joins(names):
        join = entity.joins[name]
        source = source.outerjoin(join.target, join.onclause)
    return source


KEY_LIST_CAP = 1000  # matching rows of a table handed to the planner as a list of ids


def search_branches(session: Session, state: ViewState) -> list[tuple[tuple[str, ...], ColumnElement[bool]]]:
    """(joins, condition) per branch: the base table's columns together, each joined table alone.

    The matching ids of each table are read first from that table alone (its trigram index);
    up to KEY_LIST_CAP of them become an ``IN`` list the planner can start from (its estimates
    for a text pattern are guesses), and a table without a match adds no branch. A text matching
    more rows than that is common: the branch then keeps the text condition and the planner
    walks the sort order instead, which finds a page quickly unless the sort column itself
    groups the matches (a common surname in a list sorted by surname)."""
    if state.branches is not None:
        return state.branches
    pattern = search_pattern(state.search)
    groups: dict[tuple[str, ...], tuple[list[ColumnElement[bool]], Any]] = {}
    for column in state.entity.columns.values():
        if column.searchable and pattern is not None:
            for target in column.texts():
                conditions, _key = groups.setdefault(target.joins, ([], target.key))
                conditions.append(target.expr.ilike(pattern, escape=ESCAPE))
    branches: list[tuple[tuple[str, ...], ColumnElement[bool]]] = []
    for joins, (conditions, key) in groups.items():
        condition = or_(*conditions)
        key = key if key is not None else state.entity.id_col  # the base table's own columns
        ids = list(session.scalars(select(key).where(condition).limit(KEY_LIST_CAP + 1)))
        if not ids:
            continue
        if len(ids) <= KEY_LIST_CAP:
            condition = _among(session, key, ids)
        branches.append((joins, condition))
    state.branches = branches
    return branches


def _among(session: Session, key: Any, ids: list[int]) -> ColumnElement[bool]:
    """``key IN ids``; on PostgreSQL as one array parameter (``= ANY``) rather than thousands."""
    if session.get_bind().dialect.name == "postgresql":
        return key == any_(literal(ids, ARRAY(Integer)))
    return key.in_(ids)


def _filter_joins(state: ViewState) -> set[str]:
    names: set[str] = set()
    for f in state.filters:
        names.update(f.column.joins)
    return names


def _shown_joins(state: ViewState) -> set[str]:
    names = set(state.entity.link_joins) | _filter_joins(state) | set(state.sort.joins)
    for column, _width in state.columns:
        names.update(column.joins)
    return names


def _where(state: ViewState) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if state.entity.access is not None:
        conditions.append(state.entity.access)
    return conditions + [filter_condition(f) for f in state.filters]


def _after(expr: Any, id_col: Any, cursor: Cursor, descending: bool, nullable: bool) -> ColumnElement[bool]:
    """Rows strictly after the cursor in the order (expr, id), ascending with NULLs last or
    descending with NULLs first (PostgreSQL's own order, so one btree index serves both)."""
    value, row_id = cursor.value, cursor.row_id
    if not descending:
        if value is None:
            return and_(expr.is_(None), id_col > row_id)
        after = tuple_(expr, id_col) > tuple_(value, row_id)
        return or_(after, expr.is_(None)) if nullable else after
    if value is None:
        return or_(and_(expr.is_(None), id_col < row_id), expr.is_not(None))
    return tuple_(expr, id_col) < tuple_(value, row_id)


def _order(expr: Any, id_col: Any, descending: bool) -> list[Any]:
    if descending:
        return [expr.desc().nulls_first(), id_col.desc()]
    return [expr.asc().nulls_last(), id_col.asc()]


@dataclass(frozen=True)
class Window:
    """Where a page starts and which way it reads."""

    cursor: Cursor | None
    descending: bool
    limit: int


def _window_conditions(state: ViewState, window: Window) -> list[ColumnElement[bool]]:
    if window.cursor is None:
        return []
    return [_after(state.sort.sorted_by, state.entity.id_col, window.cursor, window.descending, state.sort.nullable)]


def _search_ids(session: Session, state: ViewState, window: Window | None, limit: int) -> Any:
    """The union of the branches' ids: per branch at most ``limit`` rows (in page order when a
    window is given)."""
    entity = state.entity
    parts = []
    for joins, condition in search_branches(session, state):
        names = set(joins) | _filter_joins(state)
        branch = select(entity.id_col.label("id")).where(*_where(state), condition)
        if window is not None:
            names |= set(state.sort.joins)
            branch = branch.where(*_window_conditions(state, window)).order_by(
                *_order(state.sort.sorted_by, entity.id_col, window.descending))
        inner = branch.select_from(_from(entity, names)).limit(limit).subquery()
        parts.append(select(inner.c.id))
    if not parts:
        return select(entity.id_col).where(false())  # nothing matches
    return parts[0] if len(parts) == 1 else union_all(*parts)


def rows_select(session: Session, state: ViewState, window: Window) -> Select[Any]:
    """One page of rows: the shown columns, the link values, the id and the sort value."""
    entity = state.entity
    shown = [column.shown.label(f"c_{column.key}") for column, _width in state.columns]
    extra = [expr.label(name) for name, expr in entity.link_exprs.items()]
    query = (select(*shown, *extra, entity.id_col.label("_id"), state.sort.sorted_by.label("_sort"))
             .select_from(_from(entity, _shown_joins(state))).where(*_where(state), *_window_conditions(state, window)))
    if search_pattern(state.search) is not None:
        query = query.where(entity.id_col.in_(_search_ids(session, state, window, window.limit)))
    return query.order_by(*_order(state.sort.sorted_by, entity.id_col, window.descending)).limit(window.limit)


def _fits(column: ViewColumn, value: Any) -> bool:
    """A cursor's sort value has the type of the sort column (a hand-made link could say otherwise)."""
    if value is None:
        return column.nullable
    if column.sort_expr is None and column.display is None:
        if column.type == ColumnType.DATE:
            return isinstance(value, dt.datetime) if column.timestamp else type(value) is dt.date
        if column.type == ColumnType.NUMBER:
            return isinstance(value, int | Decimal) and not isinstance(value, bool)
        if column.type == ColumnType.BOOL:
            return isinstance(value, bool)
        if column.type == ColumnType.USER:
            return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


@dataclass
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    prev_cursor: str | None
    count: int | None  # up to COUNT_CAP; None on the following pages
    capped: bool  # more than COUNT_CAP rows match


def fetch_page(session: Session, state: ViewState, *, page_size: int = PAGE_SIZE, count: bool = True) -> Page:
    backwards = state.before is not None and state.before.sort == state.sort_key
    cursor = state.before if backwards else state.after
    if cursor is not None and cursor.sort != state.sort_key:
        cursor = None  # a cursor of another sort: start again from the first page
    if cursor is not None and not _fits(state.sort, cursor.value):
        raise ViewError(_("The page link is damaged; go back to the first page of the list."))
    window = Window(cursor, state.descending != backwards, page_size + 1)
    rows = [dict(row) for row in session.execute(rows_select(session, state, window)).mappings()]
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    has_next = more if not backwards else True
    has_prev = (cursor is not None) if not backwards else more
    next_cursor = Cursor(state.sort_key, last["_sort"], last["_id"]).encode() if has_next and last else None
    prev_cursor = Cursor(state.sort_key, first["_sort"], first["_id"]).encode() if has_prev and first else None
    # Counted on the first page only (the count does not change from page to page), and not for
    # a search that fills more than a page: counting a common text's matches costs more than
    # finding the page, and the reader refines the search rather than reading the count.
    total: int | None = None
    if count and cursor is None:
        if not more:
            total = len(rows)
        elif search_pattern(state.search) is None:
            total = capped_count(session, state)
    return Page(rows=rows, next_cursor=next_cursor, prev_cursor=prev_cursor,
                count=min(total, COUNT_CAP) if total is not None else None,
                capped=total is not None and total > COUNT_CAP)


def capped_count(session: Session, state: ViewState) -> int:
    """How many rows match, counting no further than COUNT_CAP + 1 (an exact count over a million
    rows would cost more than the page itself)."""
    entity = state.entity
    if search_pattern(state.search) is not None:
        ids = _search_ids(session, state, None, COUNT_CAP + 1).subquery()
        return session.scalar(select(func.count(distinct(ids.c.id)))) or 0
    inner = (select(true().label("one")).select_from(_from(entity, _filter_joins(state))).where(*_where(state))
             .limit(COUNT_CAP + 1).subquery())
    return session.scalar(select(func.count()).select_from(inner)) or 0


def iterate_all(session: Session, state: ViewState, chunk: int = 1000) -> Iterator[dict[str, Any]]:
    """Every row in order, fetched chunk by chunk with the same keyset paging (for exports)."""
    cursor: Cursor | None = None
    while True:
        rows = list(session.execute(rows_select(session, state, Window(cursor, state.descending, chunk))).mappings())
        yield from (dict(row) for row in rows)
        if len(rows) < chunk:
            return
        cursor = Cursor(state.sort_key, rows[-1]["_sort"], rows[-1]["_id"])
