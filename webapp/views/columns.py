"""The vocabulary of a list view: column types, the filter operators each type accepts, a
column (label, SQL expression, what it needs joined) and a list entity (its base table, the
outer joins its columns may need, who may see which rows, where a row links to).

Entities are built per request (:mod:`webapp.views.entities`) because some expressions depend on
the reader: the language of a subtype's name, "me" in the task list's access rule."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause


class ColumnType(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOL = "bool"
    CHOICE = "choice"  # a code with a translated label
    USER = "user"  # a user id, shown as the user's name; "me" is the reader


class Op(enum.StrEnum):
    EQ = "eq"
    CONTAINS = "contains"
    BEGINS = "begins"
    HAS = "has"
    HASNOT = "hasnot"
    BEFORE = "before"
    AFTER = "after"
    BETWEEN = "between"
    IN = "in"


OPS_BY_TYPE: dict[ColumnType, tuple[Op, ...]] = {
    ColumnType.TEXT: (Op.EQ, Op.CONTAINS, Op.BEGINS, Op.HAS, Op.HASNOT, Op.IN),
    ColumnType.NUMBER: (Op.EQ, Op.BEFORE, Op.AFTER, Op.BETWEEN, Op.IN, Op.HAS, Op.HASNOT),
    ColumnType.DATE: (Op.EQ, Op.BEFORE, Op.AFTER, Op.BETWEEN, Op.HAS, Op.HASNOT),
    ColumnType.BOOL: (Op.EQ,),
    ColumnType.CHOICE: (Op.EQ, Op.IN, Op.HAS, Op.HASNOT),
    ColumnType.USER: (Op.EQ, Op.IN, Op.HAS, Op.HASNOT),
}

Choices = Callable[[], list[tuple[str, str]]]


@dataclass(frozen=True)
class SearchTarget:
    """A text the search box reads. ``key`` is the id column of the joined table it lives in: the
    search first collects the matching ids of that table alone (by its trigram index), so that
    the planner starts from a short list instead of guessing."""

    expr: ColumnElement[Any]
    joins: tuple[str, ...] = ()
    key: ColumnElement[Any] | None = None


@dataclass(frozen=True)
class ViewColumn:
    key: str
    label: Any  # a lazy translated string
    expr: ColumnElement[Any]  # what filters compare and, by default, what is sorted and shown
    type: ColumnType = ColumnType.TEXT
    joins: tuple[str, ...] = ()  # names of the entity's joins this column reads
    sortable: bool = True
    searchable: bool = False
    nullable: bool = True  # keyset paging must place NULLs (always after the values, ascending)
    display: ColumnElement[Any] | None = None  # shown instead of expr (a user's name for an id)
    sort_expr: ColumnElement[Any] | None = None
    # what the search box reads: (text expression, the joins it needs, the id of the joined table it
    # lives in, or None for the base table); defaults to the column itself with ``search_key``
    search_exprs: tuple[SearchTarget, ...] = ()
    search_key: ColumnElement[Any] | None = None
    choices: Choices | None = None  # code -> label, for choice columns
    open_choices: bool = False  # codes that are data (queues): a filter may name one not there yet
    timestamp: bool = False  # a DATE column stored as a UTC timestamp
    width: int | None = None  # the default width in px (None: automatic)
    translated: bool = False  # a text from a diagram (a task's name), shown in the reader's language

    @property
    def ops(self) -> tuple[Op, ...]:
        return OPS_BY_TYPE[self.type]

    @property
    def shown(self) -> ColumnElement[Any]:
        return self.display if self.display is not None else self.expr

    @property
    def sorted_by(self) -> ColumnElement[Any]:
        if self.sort_expr is not None:
            return self.sort_expr
        return self.display if self.display is not None else self.expr

    def texts(self) -> tuple[SearchTarget, ...]:
        """The text expressions the search box looks into, each with the joins it needs."""
        if self.search_exprs:
            return self.search_exprs
        return (SearchTarget(self.expr, self.joins, self.search_key),) if self.type == ColumnType.TEXT else ()

    def label_of(self, code: Any) -> str:
        if code is None:
            return ""
        if self.choices is None:
            return str(code)
        return dict(self.choices()).get(str(code), str(code))


@dataclass(frozen=True)
class Join:
    """An outer join the entity's base may need; ``requires`` names joins that must come first."""

    target: FromClause | Any
    onclause: ColumnElement[bool]
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListEntity:
    key: str
    label: Any
    base: FromClause | Any
    id_col: ColumnElement[int]
    columns: Mapping[str, ViewColumn]
    default_columns: tuple[str, ...]
    default_sort: str
    joins: Mapping[str, Join] = field(default_factory=dict)
    access: ColumnElement[bool] | None = None  # the rows the reader may see
    link_exprs: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)  # extra values for the link
    link_joins: tuple[str, ...] = ()
    link: Callable[[Mapping[str, Any]], str | None] = lambda row: None

    def column(self, key: str) -> ViewColumn | None:
        return self.columns.get(key)

    def ordered_joins(self, names: set[str]) -> list[str]:
        """``names`` and what they require, in the entity's declaration order."""
        wanted: set[str] = set()

        def add(name: str) -> None:
            if name not in wanted:
                wanted.add(name)
                for required in self.joins[name].requires:
                    add(required)

        for name in names:
            add(name)
        return [name for name in self.joins if name in wanted]
