"""Pages of the list views: ``/views/<entity>`` (a saved view and/or ad-hoc columns, filters,
sort, search; keyset pages of 50), the CSV and Excel exports of the same rows, and saving,
changing, sharing and deleting views. Back office only; the task list shows only the tasks the
reader may take or has been given."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine.access.models import Role, User
from engine.views import commands
from engine.views.commands import ViewRefused
from engine.views.models import SavedView, ViewScope
from engine.views.seed import seed_system_views
from engine.workflow.errors import Forbidden, NotFound
from webapp.auth import BACK_OFFICE, roles_guard
from webapp.context import db_session
from webapp.privacy.recorder import logged_export  # exports reach the access log
from webapp.transactions import run_command
from webapp.views.columns import ColumnType, ListEntity, Op
from webapp.views.entities import BUILDERS, ViewContext, build_entity
from webapp.views.labels import OP_LABELS, entity_label, view_name
from webapp.views.query import COUNT_CAP, Page, fetch_page, iterate_all
from webapp.views.render import cell_csv, cell_html, cell_xlsx, choice_labels
from webapp.views.requests import load_view, state_from_args
from webapp.views.state import ViewError, ViewState

bp = Blueprint("views", __name__, url_prefix="/views")
bp.before_request(roles_guard(*BACK_OFFICE))

SEEDED = "guichet_views_seeded"


def ensure_seeded() -> None:
    """The shipped system views, added once per process start (idempotent)."""
    if current_app.extensions.get(SEEDED):
        return
    run_command(seed_system_views)
    current_app.extensions[SEEDED] = True


def context() -> ViewContext:
    return ViewContext(user=current_user._get_current_object())


def entity_or_404(key: str, ctx: ViewContext) -> ListEntity:
    entity = build_entity(key, ctx)
    if entity is None:
        abort(404)
    return entity


def list_url(entity: str, params: list[tuple[str, str]], endpoint: str = "views.show", **extra: str) -> str:
    query = urlencode(params + list(extra.items()))
    return url_for(endpoint, entity=entity) + (f"?{query}" if query else "")


@bp.get("/")
def index() -> Any:
    ensure_seeded()
    session = db_session()
    views = {key: commands.visible_views(session, key, current_user.id) for key in BUILDERS}
    return render_template("views/index.html", entities=list(BUILDERS), views=views, entity_label=entity_label,
                           view_name=view_name)


@bp.get("/<entity>")
def show(entity: str) -> Any:
    ensure_seeded()
    ctx = context()
    list_entity = entity_or_404(entity, ctx)
    session = db_session()
    try:
        state = state_from_args(session, list_entity, ctx, request.args)
        page = fetch_page(session, state)
    except ViewError as error:
        return render_list(list_entity, None, None, error=str(error), broken=_broken_view(list_entity)), 400
    return render_list(list_entity, state, page)


def _broken_view(entity: ListEntity) -> SavedView | None:
    """The saved view asked for, when it exists but cannot be shown (a column it names is gone):
    its owner may still delete it."""
    try:
        return load_view(db_session(), entity, request.args.get("view", ""), current_user.id)
    except ViewError:
        return None


def table_context(state: ViewState, page: Page) -> dict[str, Any]:
    """What the table partial needs (the list page and the dashboard share it)."""
    columns = [column for column, _width in state.columns]
    labels = choice_labels(columns)
    rows = [{"link": state.entity.link(row), "cells": [cell_html(c, row[f"c_{c.key}"], labels) for c in columns]}
            for row in page.rows]
    params = state.params()
    return {
        "state": state, "page": page, "rows": rows, "count_cap": COUNT_CAP,
        "sort_links": {column.key: list_url(state.entity.key, _replace(params, "sort", _toggle(state, column.key)))
                       for column, _width in state.columns if column.sortable},
        "next_url": list_url(state.entity.key, params, after=page.next_cursor) if page.next_cursor else None,
        "prev_url": list_url(state.entity.key, params, before=page.prev_cursor) if page.prev_cursor else None,
        "open_url": list_url(state.entity.key, params),
    }


def _toggle(state: ViewState, key: str) -> str:
    if state.sort.key == key:
        return key if state.descending else f"-{key}"
    return key


def _replace(params: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in params if k != name] + [(name, value)]


def render_list(entity: ListEntity, state: ViewState | None, page: Page | None, *, error: str | None = None,
                broken: SavedView | None = None) -> str:
    session = db_session()
    views = commands.visible_views(session, entity.key, current_user.id)
    view = state.view if state else broken
    me: User = current_user.user  # loaded by the sign-in machinery for this request
    can_change = view is not None and commands.may_change(view, me)
    chosen = {column.key: (position, width) for position, (column, width) in
              enumerate(state.columns if state else [], start=1)}
    columns = [{"column": column, "checked": column.key in chosen,
                "position": chosen.get(column.key, (len(chosen) + index + 1, None))[0],
                "width": chosen.get(column.key, (0, None))[1] or ""}
               for index, column in enumerate(entity.columns.values())]
    columns.sort(key=lambda item: (not item["checked"], item["position"]))
    for position, item in enumerate(columns, start=1):
        item["position"] = position
    colleagues: list[User] = []
    if can_change and view is not None and view.scope != ViewScope.SYSTEM:  # the share form is shown
        colleagues = [u for u in session.scalars(select(User).where(User.active.is_(True), User.id != me.id)
                                                 .order_by(User.name)) if u.has_role(*BACK_OFFICE)]
    context: dict[str, Any] = {
        "entity": entity, "state": state, "error": error, "views": views, "view": view,
        "view_name": view_name, "entity_label": entity_label, "columns": columns,
        "column_options": [(c.key, str(c.label)) for c in entity.columns.values()],
        "sort_options": [(c.key, str(c.label)) for c in entity.columns.values() if c.sortable],
        "op_options": [(code, str(label)) for code, label in OP_LABELS.items()],
        "choice_help": [(str(c.label), c.choices()) for c in entity.columns.values()
                        if c.choices is not None and c.type == ColumnType.CHOICE],
        "filters": [(f.column.key, f.op.value, f.raw) for f in state.filters] if state else [],
        "can_change": can_change,
        "is_admin": Role.ADMINISTRATOR in current_user.roles,
        "colleagues": colleagues, "shared_ids": {u.id for u in view.shared_with} if colleagues else set(),
        "ViewScope": ViewScope, "ColumnType": ColumnType, "Op": Op,
        "export_csv": list_url(entity.key, state.params(), "views.export_csv") if state else None,
        "export_xlsx": list_url(entity.key, state.params(), "views.export_xlsx") if state else None,
        "save_params": state.params(keep_view=False) if state else [],
    }
    if state is not None and page is not None:
        context.update(table_context(state, page))
    return render_template("views/list.html", **context)


# -- exports ------------------------------------------------------------------------------------

def _export_state(entity: str) -> tuple[ViewState, str]:
    ctx = context()
    list_entity = entity_or_404(entity, ctx)
    try:
        state = state_from_args(db_session(), list_entity, ctx, request.args)
    except ViewError as error:
        abort(Response(str(error), status=400, mimetype="text/plain"))
    state.after = state.before = None
    name = view_name(state.view) if state.view else str(entity_label(entity))
    return state, _filename(name)


def _filename(name: str) -> str:
    safe = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_" else "-" for ch in name).strip("-") or "export"
    return safe[:60]


@bp.get("/<entity>/export.csv")
def export_csv(entity: str) -> Any:
    state, name = _export_state(entity)
    columns = [column for column, _width in state.columns]

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        writer.writerow([str(column.label) for column in columns])
        yield "\ufeff" + flush()  # a BOM so that Excel reads UTF-8
        labels = choice_labels(columns)
        for count, row in enumerate(logged_export(iterate_all(db_session(), state), "view", entity), start=1):
            writer.writerow([cell_csv(column, row[f"c_{column.key}"], labels) for column in columns])
            if count % 500 == 0:
                yield flush()
        yield flush()

    return Response(stream_with_context(lines()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.get("/<entity>/export.xlsx")
def export_xlsx(entity: str) -> Any:
    state, name = _export_state(entity)
    columns = [column for column, _width in state.columns]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name[:31])
    for index, (_column, width) in enumerate(state.columns):
        if width:
            from openpyxl.utils import get_column_letter

            sheet.column_dimensions[get_column_letter(index + 1)].width = max(8, width / 7)
    sheet.append([str(column.label) for column in columns])
    labels = choice_labels(columns)
    for row in logged_export(iterate_all(db_session(), state), "view", entity):
        sheet.append([cell_xlsx(column, row[f"c_{column.key}"], labels) for column in columns])
    out = io.BytesIO()
    workbook.save(out)
    return Response(out.getvalue(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


# -- saving -------------------------------------------------------------------------------------

def _posted_state(entity: str) -> ViewState:
    ctx = context()
    list_entity = entity_or_404(entity, ctx)
    return state_from_args(db_session(), list_entity, ctx, request.form)


def _refusal(error: Exception) -> str:
    if isinstance(error, ViewRefused):
        return {
            "name_missing": _("Give the view a name."),
            "name_too_long": _("The name is too long: at most %(n)d characters.", n=commands.NAME_MAX),
            "system_not_shared": _("A system view is seen by everybody; it is not shared with chosen colleagues."),
            "unknown_colleague": _("Choose colleagues among the active users."),
        }.get(error.reason, _("This view cannot be saved."))
    if isinstance(error, Forbidden):
        return _("Only the owner of a view changes it, and only an administrator a system view.")
    if isinstance(error, NotFound):
        return _("This view no longer exists.")
    if isinstance(error, StaleDataError):
        return _("Someone changed this view meanwhile; look at it again and redo your change.")
    if isinstance(error, ViewError):
        return str(error)
    raise error


def _back(entity: str, view_id: int | None = None) -> Any:
    return redirect(url_for("views.show", entity=entity, **({"view": view_id} if view_id else {})))


@bp.post("/<entity>/save")
def save(entity: str) -> Any:
    try:
        state = _posted_state(entity)
        definition = state.definition()
        view = run_command(lambda session: commands.create_view(
            session, entity=entity, name=request.form.get("name", ""), definition=definition,
            by_user_id=current_user.id, system=request.form.get("system") == "1"))
    except (ViewRefused, Forbidden, NotFound, StaleDataError, ViewError) as error:
        flash(_refusal(error), "error")
        return _back(entity, request.form.get("view", type=int))
    flash(_("The view “%(name)s” is saved.", name=view.name), "success")
    return _back(entity, view.id)


def _owned(entity: str, view_id: int) -> SavedView:
    view = db_session().get(SavedView, view_id)
    if view is None or view.entity != entity:
        abort(404)
    return view


@bp.post("/<entity>/<int:view_id>/update")
def update(entity: str, view_id: int) -> Any:
    _owned(entity, view_id)
    try:
        state = _posted_state(entity)
        definition = state.definition()
        name = request.form.get("name")
        view = run_command(lambda session: commands.update_view(
            session, view_id, definition=definition, by_user_id=current_user.id, name=name))
    except (ViewRefused, Forbidden, NotFound, StaleDataError, ViewError) as error:
        flash(_refusal(error), "error")
        return _back(entity, view_id)
    flash(_("The view “%(name)s” is saved.", name=view_name(view)), "success")
    return _back(entity, view_id)


@bp.post("/<entity>/<int:view_id>/delete")
def delete(entity: str, view_id: int) -> Any:
    _owned(entity, view_id)
    try:
        name = run_command(lambda session: commands.delete_view(session, view_id, by_user_id=current_user.id))
    except (Forbidden, NotFound, StaleDataError) as error:
        flash(_refusal(error), "error")
        return _back(entity, view_id)
    flash(_("The view “%(name)s” is deleted.", name=_(name)), "success")
    return _back(entity)


@bp.post("/<entity>/<int:view_id>/share")
def share(entity: str, view_id: int) -> Any:
    _owned(entity, view_id)
    try:
        ids = [int(value) for value in request.form.getlist("colleague") if value.isdigit()]
        view = run_command(lambda session: commands.share_view(
            session, view_id, colleague_ids=ids, by_user_id=current_user.id))
    except (ViewRefused, Forbidden, NotFound, StaleDataError) as error:
        flash(_refusal(error), "error")
        return _back(entity, view_id)
    if view.shared_with:
        flash(_("The view is shared with: %(names)s.", names=", ".join(u.name for u in view.shared_with)), "success")
    else:
        flash(_("The view is no longer shared."), "success")
    return _back(entity, view_id)


@bp.post("/<entity>/<int:view_id>/system")
def make_system(entity: str, view_id: int) -> Any:
    _owned(entity, view_id)
    try:
        run_command(lambda session: commands.make_system(session, view_id, by_user_id=current_user.id))
    except (Forbidden, NotFound, StaleDataError) as error:
        flash(_refusal(error), "error")
        return _back(entity, view_id)
    flash(_("Everybody now sees this view."), "success")
    return _back(entity, view_id)
