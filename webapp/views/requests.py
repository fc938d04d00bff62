"""Reading a :class:`ViewState` from a request's arguments (or a form posting one back).

``view=<id>`` starts from a saved view; ``c``, ``sort`` and ``q`` replace its columns, sort and
search; each ``f`` is added to its filters, unless ``own=1`` says the filters given are the whole
list (the editor sends them all). The editor's filter rows come as parallel ``fc``/``fo``/``fv``
fields and its column list as ``c`` checkboxes with ``o.<key>`` positions and ``w.<key>`` widths."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from engine.views.commands import visible_view
from engine.views.models import SavedView
from engine.workflow.errors import NotFound
from webapp.views.columns import ListEntity
from webapp.views.entities import ViewContext
from webapp.views.state import (
    MAX_FILTERS,
    Cursor,
    ViewError,
    ViewState,
    clean_search,
    parse_columns,
    parse_filter,
    parse_sort,
)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def load_view(session: Session, entity: ListEntity, view_text: str, user_id: int) -> SavedView:
    try:
        view = visible_view(session, int(view_text), user_id)
    except (ValueError, NotFound) as exc:
        raise ViewError(_("This saved view does not exist or is not shared with you.")) from exc
    if view.entity != entity.key:
        raise ViewError(_("This saved view belongs to another list."))
    return view


def _editor_filters(args: MultiDict[str, str]) -> list[str]:
    columns, ops, values = args.getlist("fc"), args.getlist("fo"), args.getlist("fv")
    filters = []
    for index, key in enumerate(columns):
        if not key.strip():
            continue
        op = ops[index] if index < len(ops) else ""
        value = values[index] if index < len(values) else ""
        filters.append(f"{key}:{op}:{value}")
    return filters


def _columns_arg(args: MultiDict[str, str]) -> tuple[list[str], dict[str, str]] | None:
    chosen = args.getlist("c")
    if not chosen:
        return None
    widths = {key[2:]: value for key, value in args.items() if key.startswith("w.") and value.strip()}
    positions: dict[str, float] = {}
    for key, value in args.items():
        if key.startswith("o.") and value.strip():
            try:
                positions[key[2:]] = float(value)
            except ValueError as exc:
                raise ViewError(_("The position of a column is a number.")) from exc
    if positions:
        indexed = list(enumerate(chosen))
        indexed.sort(key=lambda pair: (positions.get(pair[1].partition(":")[0], pair[0] + 1), pair[0]))
        chosen = [item for _index, item in indexed]
    return chosen, widths


def state_from_args(session: Session, entity: ListEntity, ctx: ViewContext, args: MultiDict[str, str]) -> ViewState:
    view = load_view(session, entity, args["view"], ctx.user.id) if args.get("view") else None
    columns: list[Any] = list(view.columns) if view else [{"key": key, "width": None} for key in entity.default_columns]
    given_columns = _columns_arg(args)
    widths: dict[str, str] = {}
    if given_columns is not None:
        columns, widths = given_columns
    own = args.get("own") == "1"
    extra = [text for text in args.getlist("f") if text.strip()] + _editor_filters(args)
    texts = ([] if own or view is None else list(view.filters)) + extra
    if len(texts) > MAX_FILTERS:
        raise ViewError(_("At most %(n)d filters at once.", n=MAX_FILTERS))
    day = today()
    filters = [parse_filter(entity, text, user_id=ctx.user.id, today=day) for text in texts]
    sort_text = args.get("sort") or (view.sort if view else "") or entity.default_sort
    direction = args.get("dir")
    if direction in ("asc", "desc"):
        sort_text = ("-" if direction == "desc" else "") + sort_text.lstrip("-")
    sort, descending = parse_sort(entity, sort_text)
    search = clean_search(args.get("q", view.search if view else ""))
    state = ViewState(entity=entity, columns=parse_columns(entity, columns, widths), filters=filters, sort=sort,
                      descending=descending, search=search, view=view, own=own, extra_filters=extra)
    if args.get("after"):
        state.after = Cursor.decode(args["after"])
    elif args.get("before"):
        state.before = Cursor.decode(args["before"])
    return state
