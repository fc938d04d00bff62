"""A list view shown inside another page (the dashboard): the same engine, a short page, and
links to open it as a full view and change it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine.views.models import SavedView, ViewScope
from engine.views.seed import SYSTEM_VIEWS
from webapp.context import db_session
from webapp.views.blueprint import list_url, table_context
from webapp.views.entities import ViewContext, build_entity
from webapp.views.query import fetch_page
from webapp.views.requests import state_from_args
from webapp.views.state import ViewError


@dataclass
class EmbeddedList:
    seed_key: str
    title: str
    entity: str
    open_url: str
    table: dict[str, Any] | None  # table_context(...) or None when the view cannot be shown
    error: str | None = None


def slot_view(seed_key: str) -> SavedView | None:
    """The reader's own view named like the shipped one (their changed copy), else the shipped one."""
    entity, name, _definition = SYSTEM_VIEWS[seed_key]
    session = db_session()
    own = session.scalar(select(SavedView).where(
        SavedView.entity == entity, SavedView.owner_id == current_user.id, SavedView.scope != ViewScope.SYSTEM,
        SavedView.name.in_([name, gettext(name)])).order_by(SavedView.id.desc()).limit(1))
    return own or session.scalar(select(SavedView).where(SavedView.seed_key == seed_key))


def embedded(seed_key: str, *, page_size: int = 10) -> EmbeddedList:
    entity_key, name, definition = SYSTEM_VIEWS[seed_key]
    ctx = ViewContext(user=current_user._get_current_object())
    entity = build_entity(entity_key, ctx)
    assert entity is not None
    view = slot_view(seed_key)
    if view is not None:
        args: MultiDict[str, str] = MultiDict([("view", str(view.id))])
        title = gettext(view.name) if view.seed_key else view.name
    else:  # an administrator deleted the shipped view: show its definition all the same
        args = MultiDict([("c", c["key"]) for c in definition.columns] + [("f", f) for f in definition.filters]
                         + [("sort", definition.sort)])
        title = gettext(name)
    session = db_session()
    try:
        state = state_from_args(session, entity, ctx, args)
        page = fetch_page(session, state, page_size=page_size)
    except ViewError as error:
        fallback = list_url(entity_key, list(args.items(multi=True)))
        return EmbeddedList(seed_key, title, entity_key, fallback, None, str(error))
    table = table_context(state, page)
    open_url = list_url(entity_key, [("view", str(view.id))]) if view is not None else table["open_url"]
    return EmbeddedList(seed_key, title, entity_key, open_url, table)
