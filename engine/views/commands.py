"""Commands on saved views: create, change, delete, share. Each runs inside the caller's
transaction and writes an audit event (``subject_type="saved_view"``).

Who may do what: everybody manages their own personal and shared views; only administrators
make, change or delete system views. The definition (columns, filters, sort) is checked by the
web layer, which knows the columns of each list, before it reaches these commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.access.models import Role, User
from engine.db import utcnow
from engine.views.models import ENTITIES, SavedView, ViewScope, saved_view_shares
from engine.workflow.errors import EngineError, Forbidden, NotFound
from engine.workflow.models import AuditEvent

NAME_MAX = 120


class ViewRefused(EngineError):
    """The view cannot be saved as asked; the message says what to change, ``reason`` names the
    case for callers that word it in the reader's language."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ViewDefinition:
    columns: list[dict[str, Any]] = field(default_factory=list)  # [{"key": …, "width": int | None}]
    sort: str = ""
    filters: list[str] = field(default_factory=list)
    search: str = ""

    def as_values(self) -> dict[str, Any]:
        return {"columns": [dict(c) for c in self.columns], "sort": self.sort, "filters": list(self.filters),
                "search": self.search}


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise Forbidden("Your account is not active.")
    return user


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ViewRefused("Give the view a name.", "name_missing")
    if len(name) > NAME_MAX:
        raise ViewRefused(f"The name is too long: at most {NAME_MAX} characters.", "name_too_long")
    return name


def _audit(session: Session, view: SavedView, kind: str, user_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(subject_type="saved_view", subject_id=view.id, actor_id=user_id, kind=kind,
                           detail={"entity": view.entity, "name": view.name, **detail}, at=utcnow()))


def may_change(view: SavedView, user: User) -> bool:
    """Administrators change system views; owners change their own views."""
    if view.scope == ViewScope.SYSTEM:
        return Role.ADMINISTRATOR in user.roles
    return view.owner_id == user.id


def visible_condition(user_id: int) -> Any:
    """SQL condition: the views ``user_id`` may see (system, own, shared with them)."""
    shared = select(saved_view_shares.c.view_id).where(saved_view_shares.c.user_id == user_id)
    return or_(SavedView.scope == ViewScope.SYSTEM, SavedView.owner_id == user_id, SavedView.id.in_(shared))


def visible_views(session: Session, entity: str, user_id: int) -> list[SavedView]:
    """System views first, then the user's own, then those shared with them; by name."""
    views = session.scalars(select(SavedView).where(SavedView.entity == entity, visible_condition(user_id)))
    order = {ViewScope.SYSTEM: 0, ViewScope.PERSONAL: 1, ViewScope.SHARED: 1}
    return sorted(views, key=lambda v: (order.get(ViewScope(v.scope), 2), v.owner_id != user_id, v.name.lower()))


def visible_view(session: Session, view_id: int, user_id: int) -> SavedView:
    view = session.scalar(select(SavedView).where(SavedView.id == view_id, visible_condition(user_id)))
    if view is None:
        raise NotFound(f"View {view_id} does not exist or is not shared with you.")
    return view


def create_view(session: Session, *, entity: str, name: str, definition: ViewDefinition, by_user_id: int,
                system: bool = False) -> SavedView:
    user = _user(session, by_user_id)
    if entity not in ENTITIES:
        raise ViewRefused(f"There is no list '{entity}'.", "unknown_list")
    if system and Role.ADMINISTRATOR not in user.roles:
        raise Forbidden("Only an administrator makes system views.")
    view = SavedView(entity=entity, name=_clean_name(name), owner_id=user.id,
                     scope=ViewScope.SYSTEM if system else ViewScope.PERSONAL, **definition.as_values())
    session.add(view)
    session.flush()
    _audit(session, view, "view_created", user.id, scope=view.scope, **definition.as_values())
    return view


def _changeable(session: Session, view_id: int, user: User) -> SavedView:
    view = session.get(SavedView, view_id)
    if view is None:
        raise NotFound(f"View {view_id} does not exist.")
    if not may_change(view, user):
        raise Forbidden("Only an administrator changes a system view." if view.scope == ViewScope.SYSTEM
                        else "Only the owner of a view changes it.")
    return view


def update_view(session: Session, view_id: int, *, definition: ViewDefinition, by_user_id: int,
                name: str | None = None) -> SavedView:
    user = _user(session, by_user_id)
    view = _changeable(session, view_id, user)
    changes: dict[str, list[Any]] = {}
    values = definition.as_values()
    if name is not None:
        values["name"] = _clean_name(name)
    for key, value in values.items():
        if getattr(view, key) != value:
            changes[key] = [getattr(view, key), value]
            setattr(view, key, value)
    if changes:
        view.updated_at = utcnow()
        session.flush()
        _audit(session, view, "view_changed", user.id, changes=changes)
    return view


def delete_view(session: Session, view_id: int, *, by_user_id: int) -> str:
    user = _user(session, by_user_id)
    view = _changeable(session, view_id, user)
    name = view.name
    _audit(session, view, "view_deleted", user.id, scope=view.scope)
    session.delete(view)
    session.flush()
    return name


def share_view(session: Session, view_id: int, *, colleague_ids: list[int], by_user_id: int) -> SavedView:
    """Share the owner's view with exactly ``colleague_ids`` (none: personal again). A system view
    is seen by everybody already and is not shared."""
    user = _user(session, by_user_id)
    view = _changeable(session, view_id, user)
    if view.scope == ViewScope.SYSTEM:
        raise ViewRefused("A system view is seen by everybody; it is not shared with chosen colleagues.",
                          "system_not_shared")
    wanted = set(colleague_ids) - {user.id}
    colleagues = list(session.scalars(select(User).where(User.id.in_(wanted), User.active.is_(True)))) if wanted else []
    unknown = wanted - {c.id for c in colleagues}
    if unknown:
        raise ViewRefused("Choose colleagues among the active users.", "unknown_colleague")
    before = sorted(u.id for u in view.shared_with)
    after = sorted(c.id for c in colleagues)
    if before != after:
        view.shared_with = colleagues
        view.scope = ViewScope.SHARED if colleagues else ViewScope.PERSONAL
        view.updated_at = utcnow()
        session.flush()
        _audit(session, view, "view_shared", user.id, before=before, after=after)
    return view


def make_system(session: Session, view_id: int, *, by_user_id: int) -> SavedView:
    """An administrator turns one of their views into a system view (seen by all)."""
    user = _user(session, by_user_id)
    if Role.ADMINISTRATOR not in user.roles:
        raise Forbidden("Only an administrator makes system views.")
    view = _changeable(session, view_id, user)
    if view.scope != ViewScope.SYSTEM:
        previous = view.scope
        view.scope = ViewScope.SYSTEM
        view.shared_with = []
        view.updated_at = utcnow()
        session.flush()
        _audit(session, view, "view_made_system", user.id, previous=previous)
    return view
